#include "crypto/hmac.h"

#include "gtest/gtest.h"
#include "util/encoding.h"

namespace domicile::crypto {
namespace {

// RFC 4231 section 4.
TEST(HmacSha256Test, Rfc4231TestCase1) {
  const Bytes key(20, 0x0b);
  EXPECT_EQ(HexEncode(HmacSha256(key, AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256Test, Rfc4231TestCase2) {
  EXPECT_EQ(HexEncode(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256Test, Rfc4231TestCase4) {
  Bytes key;
  for (uint8_t b = 0x01; b <= 0x19; ++b) key.push_back(b);
  const Bytes data(50, 0xcd);
  EXPECT_EQ(HexEncode(HmacSha256(key, data)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(HmacSha256Test, EmptyKeyAndData) {
  // HMAC-SHA-256 with an empty key of an empty message (a widely published value).
  EXPECT_EQ(HexEncode(HmacSha256({}, {})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256Test, KeyMatters) {
  EXPECT_NE(HmacSha256(AsBytes("key1"), AsBytes("data")),
            HmacSha256(AsBytes("key2"), AsBytes("data")));
}

}  // namespace
}  // namespace domicile::crypto
