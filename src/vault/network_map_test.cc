#include "vault/network_map.h"

#include "gtest/gtest.h"

namespace domicile::vault {
namespace {

TEST(NetworkMap, MostSpecificBlockWins) {
  NetworkMap map;
  ASSERT_TRUE(map.Add("10.0.0.0/8", "US").ok());
  ASSERT_TRUE(map.Add("10.86.0.0/16", "CN").ok());
  ASSERT_TRUE(map.Add("2001:db8::/32", "SG").ok());
  EXPECT_EQ(map.Lookup("10.1.2.3"), "US");
  EXPECT_EQ(map.Lookup("10.86.2.3"), "CN");
  EXPECT_EQ(map.Lookup("::ffff:10.86.2.3"), "CN");
  EXPECT_EQ(map.Lookup("2001:db8::1"), "SG");
  EXPECT_EQ(map.Lookup("192.168.1.1"), "");
  EXPECT_EQ(map.Lookup("not an address"), "");
}

TEST(NetworkMap, EverythingAndNothing) {
  NetworkMap map;
  EXPECT_EQ(map.Lookup("127.0.0.1"), "");
  ASSERT_TRUE(map.Add("0.0.0.0/0", "US").ok());
  EXPECT_EQ(map.Lookup("127.0.0.1"), "US");
  EXPECT_EQ(map.Lookup("::1"), "");  // IPv6 is not in an IPv4 block
}

TEST(NetworkMap, RejectsMalformedBlocks) {
  NetworkMap map;
  EXPECT_FALSE(map.Add("10.0.0.0", "US").ok());
  EXPECT_FALSE(map.Add("10.0.0.0/33", "US").ok());
  EXPECT_FALSE(map.Add("10.0.0.1/8", "US").ok());
  EXPECT_FALSE(map.Add("10.0.0.0/x", "US").ok());
  EXPECT_FALSE(map.Add("300.0.0.0/8", "US").ok());
  ASSERT_TRUE(map.Add("10.0.0.0/8", "US").ok());
  EXPECT_FALSE(map.Add("10.0.0.0/8", "CN").ok());
}

}  // namespace
}  // namespace domicile::vault
