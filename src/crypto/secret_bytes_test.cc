#include "crypto/secret_bytes.h"

#include <utility>

#include "gtest/gtest.h"

namespace domicile::crypto {
namespace {

Bytes ToVector(const SecretBytes& s) { return Bytes(s.view().begin(), s.view().end()); }

TEST(SecretBytesTest, SizedIsZeroed) {
  SecretBytes s(16);
  EXPECT_EQ(s.size(), 16u);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(ToVector(s), Bytes(16, 0));
}

TEST(SecretBytesTest, CopiesInput) {
  Bytes input = ToBytes("key material");
  SecretBytes s(input);
  input[0] = 'K';
  EXPECT_EQ(ToString(s.view()), "key material");
}

TEST(SecretBytesTest, DefaultIsEmpty) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.view().empty());
}

TEST(SecretBytesTest, MoveConstructionEmptiesSource) {
  SecretBytes a(AsBytes("key material"));
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test.
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(ToString(b.view()), "key material");
}

TEST(SecretBytesTest, MoveAssignmentEmptiesSourceAndReplacesTarget) {
  SecretBytes a(AsBytes("new key"));
  SecretBytes b(AsBytes("old key material"));
  b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test.
  EXPECT_EQ(ToString(b.view()), "new key");
}

TEST(SecretBytesTest, WritableThroughData) {
  SecretBytes s(3);
  s.data()[1] = 7;
  EXPECT_EQ(ToVector(s), (Bytes{0, 7, 0}));
}

TEST(CleanseTest, ZeroesBuffer) {
  Bytes buf = ToBytes("sensitive");
  Cleanse(buf);
  EXPECT_EQ(buf, Bytes(9, 0));
  Cleanse({});  // An empty span is fine.
}

}  // namespace
}  // namespace domicile::crypto
