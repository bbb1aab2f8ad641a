#include "util/encoding.h"

#include "gtest/gtest.h"

namespace domicile {
namespace {

TEST(Hex, RoundTrips) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(HexEncode(b), "0001abff");
  EXPECT_EQ(HexDecode("0001ABff"), b);
}

TEST(Hex, RejectsMalformed) {
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(AsBytes("")), "");
  EXPECT_EQ(Base64Encode(AsBytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(AsBytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(AsBytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(AsBytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), ToBytes("foob"));
  EXPECT_EQ(Base64Decode("Zm9vYmE="), ToBytes("fooba"));
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(Base64Decode("Zm9").has_value());
  EXPECT_FALSE(Base64Decode("Zm=v").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v!!==").has_value());
  EXPECT_FALSE(Base64Decode("Zh==").has_value());  // non-canonical padding bits
  EXPECT_FALSE(Base64Decode("====").has_value());
}

TEST(BigEndian, RoundTrips) {
  Bytes out;
  AppendU16(out, 0x1234);
  AppendU64(out, 0x0102030405060708ull);
  ByteReader r(out);
  uint16_t a;
  uint64_t b;
  ASSERT_TRUE(r.ReadU16(a));
  ASSERT_TRUE(r.ReadU64(b));
  EXPECT_EQ(a, 0x1234);
  EXPECT_EQ(b, 0x0102030405060708ull);
  EXPECT_TRUE(r.AtEnd());
  uint8_t c;
  EXPECT_FALSE(r.ReadU8(c));
}

TEST(ByteReader, LengthPrefixedNeverReadsPastEnd) {
  Bytes out = {0x00, 0x05, 'a', 'b'};
  ByteReader r(out);
  ByteView v;
  EXPECT_FALSE(r.ReadLengthPrefixed16(v));
}

}  // namespace
}  // namespace domicile
