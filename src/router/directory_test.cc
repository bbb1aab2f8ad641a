#include "router/directory.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::router {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::Optional;
using Recorded = Directory::Recorded;

TEST(DirectoryTest, RecordsAndLooksUp) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
  EXPECT_EQ(d->SubjectJurisdiction("alice"), std::nullopt);
  EXPECT_EQ(d->RecordSubject("alice", "US"), Recorded::kNew);
  EXPECT_EQ(d->RecordSubject("alice", "US"), Recorded::kKnown);
  // A home jurisdiction never changes: the first answer stays.
  EXPECT_EQ(d->RecordSubject("alice", "SG"), Recorded::kConflict);
  EXPECT_THAT(d->SubjectJurisdiction("alice"), Optional(std::string("US")));
  EXPECT_EQ(d->RecordGrant("g-1", "SG"), Recorded::kNew);
  EXPECT_THAT(d->GrantJurisdiction("g-1"), Optional(std::string("SG")));
  EXPECT_EQ(d->GrantJurisdiction("alice"), std::nullopt);  // subjects and grants apart
  EXPECT_EQ(d->subjects(), 1u);
  EXPECT_EQ(d->grants(), 1u);
}

TEST(DirectoryTest, IgnoresInvalidEntries) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
  EXPECT_EQ(d->RecordSubject("a b", "US"), Recorded::kInvalid);
  EXPECT_EQ(d->RecordSubject("", "US"), Recorded::kInvalid);
  EXPECT_EQ(d->RecordSubject("bob", "us"), Recorded::kInvalid);
  EXPECT_EQ(d->RecordSubject("bob", "USA"), Recorded::kInvalid);
  EXPECT_EQ(d->RecordGrant("G-1", "US"), Recorded::kInvalid);
  EXPECT_EQ(d->subjects(), 0u);
}

TEST(DirectoryTest, SurvivesReopening) {
  testing::TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
    d->RecordSubject("alice", "US");
    d->RecordSubject("bob", "SG");
    d->RecordGrant("g-7", "US");
  }
  ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
  EXPECT_THAT(d->SubjectJurisdiction("alice"), Optional(std::string("US")));
  EXPECT_THAT(d->SubjectJurisdiction("bob"), Optional(std::string("SG")));
  EXPECT_THAT(d->GrantJurisdiction("g-7"), Optional(std::string("US")));
  EXPECT_EQ(d->RecordSubject("carol", "US"), Recorded::kNew);
}

TEST(DirectoryTest, DropsATornLastLine) {
  testing::TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
    d->RecordSubject("alice", "US");
  }
  std::ofstream(dir / "directory.journal", std::ios::app) << "S bob S";  // a crash mid-append
  {
    ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
    EXPECT_EQ(d->SubjectJurisdiction("bob"), std::nullopt);
    EXPECT_EQ(d->RecordSubject("bob", "SG"), Recorded::kNew);
  }
  ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
  EXPECT_THAT(d->SubjectJurisdiction("alice"), Optional(std::string("US")));
  EXPECT_THAT(d->SubjectJurisdiction("bob"), Optional(std::string("SG")));
}

TEST(DirectoryTest, RefusesACorruptJournal) {
  testing::TempDir dir;
  ASSERT_OK(WriteFileAtomically(dir / "directory.journal",
                                AsBytes("domicile-router-directory 1\nS alice US\nX junk\n")));
  EXPECT_THAT(Directory::Open(dir.path()),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr(":3: malformed")));
  ASSERT_OK(WriteFileAtomically(dir / "directory.journal", AsBytes("something else\n")));
  EXPECT_THAT(Directory::Open(dir.path()), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(DirectoryTest, OneRouterPerDirectory) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto d, Directory::Open(dir.path()));
  EXPECT_THAT(Directory::Open(dir.path()), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace domicile::router
