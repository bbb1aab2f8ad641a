#include "crypto/constant_time.h"

#include "gtest/gtest.h"

namespace domicile::crypto {
namespace {

TEST(ConstantTimeEqualsTest, EqualContents) {
  EXPECT_TRUE(ConstantTimeEquals(AsBytes("secret tag"), AsBytes("secret tag")));
}

TEST(ConstantTimeEqualsTest, BothEmpty) { EXPECT_TRUE(ConstantTimeEquals({}, {})); }

TEST(ConstantTimeEqualsTest, DifferentContents) {
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("secret tag"), AsBytes("secret taG")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("Secret tag"), AsBytes("secret tag")));
}

TEST(ConstantTimeEqualsTest, DifferentSizes) {
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("secret"), AsBytes("secret tag")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("secret tag"), AsBytes("secret")));
  EXPECT_FALSE(ConstantTimeEquals({}, AsBytes("x")));
}

}  // namespace
}  // namespace domicile::crypto
