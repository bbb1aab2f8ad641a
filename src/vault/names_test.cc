#include "vault/names.h"

#include "gtest/gtest.h"

namespace domicile::vault {
namespace {

TEST(Names, SubjectIds) {
  EXPECT_TRUE(ValidateSubjectId("u1").ok());
  EXPECT_TRUE(ValidateSubjectId("user.name-2_x").ok());
  EXPECT_FALSE(ValidateSubjectId("").ok());
  EXPECT_FALSE(ValidateSubjectId("..").ok());
  EXPECT_FALSE(ValidateSubjectId("a/b").ok());
  EXPECT_FALSE(ValidateSubjectId(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateSubjectId(std::string(129, 'a')).ok());
}

TEST(Names, RecordKeys) {
  EXPECT_TRUE(ValidateRecordKey("profile:email@v2").ok());
  EXPECT_FALSE(ValidateRecordKey("a b").ok());
  EXPECT_FALSE(ValidateRecordKey("a/b").ok());
}

TEST(Names, Jurisdictions) {
  EXPECT_TRUE(ValidateJurisdiction("US").ok());
  EXPECT_FALSE(ValidateJurisdiction("us").ok());
  EXPECT_FALSE(ValidateJurisdiction("USA").ok());
}

}  // namespace
}  // namespace domicile::vault
