#include "store/postgres/pg_schema.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::store::postgres {
namespace {

using ::testing::HasSubstr;

TEST(PgSchemaTest, TheEmbeddedFilesAreNumberedWithoutGaps) {
  ASSERT_OK_AND_ASSIGN(SchemaMigrations migrations, EmbeddedMigrations());
  ASSERT_FALSE(migrations.database.empty());
  ASSERT_FALSE(migrations.store.empty());
  for (size_t i = 0; i < migrations.database.size(); ++i) {
    EXPECT_EQ(migrations.database[i].version, static_cast<int>(i) + 1);
  }
  for (size_t i = 0; i < migrations.store.size(); ++i) {
    EXPECT_EQ(migrations.store[i].version, static_cast<int>(i) + 1);
  }
  EXPECT_EQ(migrations.database[0].file, "0001_stores.sql");
  EXPECT_THAT(std::string(migrations.database[0].sql), HasSubstr("CREATE TABLE domicile_stores"));
  // The store's table comes from a template: its name is filled in per store.
  EXPECT_EQ(migrations.store[0].file, "0001_table.sql");
  EXPECT_THAT(std::string(migrations.store[0].sql), HasSubstr("CREATE TABLE {{table}}"));
  EXPECT_THAT(std::string(migrations.store[0].sql), HasSubstr("'{{store}}'"));
}

TEST(PgSchemaTest, AStoreTableIsNamedAfterTheStore) {
  EXPECT_EQ(StoreTableName("site_us_1"), "kv_site_us_1");
}

}  // namespace
}  // namespace domicile::store::postgres
