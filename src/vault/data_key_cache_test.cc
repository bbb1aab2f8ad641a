#include "vault/data_key_cache.h"

#include <memory>

#include "gtest/gtest.h"

namespace domicile::vault {
namespace {

std::shared_ptr<const crypto::SecretBytes> Key(uint8_t byte) {
  auto k = std::make_shared<crypto::SecretBytes>(32);
  std::fill(k->data(), k->data() + 32, byte);
  return k;
}

TEST(DataKeyCacheTest, KeepsAKeyUntilItsExpiry) {
  DataKeyCache cache(4);
  const std::string e = DataKeyCache::EntryKey("g/g-1/read/protected", "us-tx", "u1");
  EXPECT_EQ(cache.Get(e, 100), nullptr);
  cache.Put(e, "g-1", Key(7), 200);
  auto got = cache.Get(e, 199);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->view()[0], 7);
  EXPECT_EQ(cache.Get(e, 200), nullptr);  // expired: dropped
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DataKeyCacheTest, EntriesDifferByHolderSiteAndSubject) {
  DataKeyCache cache(8);
  cache.Put(DataKeyCache::EntryKey("p/bob/read/public", "s", "u1"), "", Key(1), 1000);
  EXPECT_EQ(cache.Get(DataKeyCache::EntryKey("p/bob/read/protected", "s", "u1"), 1), nullptr);
  EXPECT_EQ(cache.Get(DataKeyCache::EntryKey("p/bob/read/public", "t", "u1"), 1), nullptr);
  EXPECT_EQ(cache.Get(DataKeyCache::EntryKey("p/bob/read/public", "s", "u2"), 1), nullptr);
  EXPECT_NE(cache.Get(DataKeyCache::EntryKey("p/bob/read/public", "s", "u1"), 1), nullptr);
}

TEST(DataKeyCacheTest, RevokingAGrantDropsItsKeysOnly) {
  DataKeyCache cache(8);
  cache.Put(DataKeyCache::EntryKey("g/g-1/read/protected", "s", "u1"), "g-1", Key(1), 1000);
  cache.Put(DataKeyCache::EntryKey("g/g-1/read/protected", "s", "u2"), "g-1", Key(2), 1000);
  cache.Put(DataKeyCache::EntryKey("g/g-2/read/protected", "s", "u1"), "g-2", Key(3), 1000);
  cache.DropGrant("g-1");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Get(DataKeyCache::EntryKey("g/g-1/read/protected", "s", "u1"), 1), nullptr);
  EXPECT_NE(cache.Get(DataKeyCache::EntryKey("g/g-2/read/protected", "s", "u1"), 1), nullptr);
}

TEST(DataKeyCacheTest, EvictsTheLeastRecentlyUsedAndWipesWhenLastHolderLetsGo) {
  DataKeyCache cache(2);
  const std::string a = DataKeyCache::EntryKey("h", "s", "a");
  const std::string b = DataKeyCache::EntryKey("h", "s", "b");
  const std::string c = DataKeyCache::EntryKey("h", "s", "c");
  cache.Put(a, "", Key(1), 1000);
  cache.Put(b, "", Key(2), 1000);
  std::weak_ptr<const crypto::SecretBytes> b_key = cache.Get(b, 1);
  ASSERT_NE(cache.Get(a, 1), nullptr);  // a is now more recent than b
  cache.Put(c, "", Key(3), 1000);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get(b, 1), nullptr);
  EXPECT_TRUE(b_key.expired());  // nobody holds b's key any more: it was destroyed (wiped)
  EXPECT_NE(cache.Get(a, 1), nullptr);
  EXPECT_NE(cache.Get(c, 1), nullptr);
}

TEST(DataKeyCacheTest, CapacityZeroKeepsNothing) {
  DataKeyCache cache(0);
  cache.Put(DataKeyCache::EntryKey("h", "s", "a"), "", Key(1), 1000);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace domicile::vault
