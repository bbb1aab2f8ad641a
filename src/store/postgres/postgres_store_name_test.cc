#include <string>

#include "gtest/gtest.h"
#include "store/postgres/postgres_store.h"

namespace domicile::store {
namespace {

TEST(PostgresStoreNameForTest, KeepsValidNamesAndMakesOthersValidAndDistinct) {
  EXPECT_EQ(PostgresStoreNameFor("us_1"), "us_1");
  const std::string dashed = PostgresStoreNameFor("us-1");
  const std::string upper = PostgresStoreNameFor("US_1");
  EXPECT_TRUE(dashed.starts_with("us_1_")) << dashed;
  EXPECT_TRUE(upper.starts_with("us_1_")) << upper;
  EXPECT_NE(dashed, upper);
  EXPECT_NE(dashed, "us_1");
  EXPECT_EQ(PostgresStoreNameFor("us-1"), dashed);  // the same on every node and run
  for (const std::string& id : {dashed, upper, PostgresStoreNameFor(std::string(300, 'x')),
                                PostgresStoreNameFor("caf\xc3\xa9"), PostgresStoreNameFor("")}) {
    EXPECT_TRUE(IsValidPostgresStoreName(id)) << id;
  }
  EXPECT_NE(PostgresStoreNameFor(std::string(300, 'x')),
            PostgresStoreNameFor(std::string(301, 'x')));
}

}  // namespace
}  // namespace domicile::store
