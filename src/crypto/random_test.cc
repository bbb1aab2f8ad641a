#include "crypto/random.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::crypto {
namespace {

TEST(RandomTest, TwoDrawsDiffer) {
  ASSERT_OK_AND_ASSIGN(Bytes a, RandomBytes(32));
  ASSERT_OK_AND_ASSIGN(Bytes b, RandomBytes(32));
  ASSERT_EQ(a.size(), 32u);
  ASSERT_EQ(b.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(RandomTest, SecretsDiffer) {
  ASSERT_OK_AND_ASSIGN(SecretBytes a, RandomSecret(32));
  ASSERT_OK_AND_ASSIGN(SecretBytes b, RandomSecret(32));
  ASSERT_EQ(a.size(), 32u);
  EXPECT_FALSE(std::equal(a.view().begin(), a.view().end(), b.view().begin()));
}

TEST(RandomTest, FillRandomOverwritesBuffer) {
  Bytes buf(64, 0);
  ASSERT_OK(FillRandom(buf));
  // 64 zero bytes from a working CSPRNG has probability 2^-512.
  EXPECT_NE(buf, Bytes(64, 0));
}

TEST(RandomTest, ZeroLength) {
  ASSERT_OK_AND_ASSIGN(Bytes empty, RandomBytes(0));
  EXPECT_TRUE(empty.empty());
  EXPECT_OK(FillRandom({}));
}

}  // namespace
}  // namespace domicile::crypto
