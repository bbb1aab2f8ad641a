#include "audit/audit_state.h"

#include "audit/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/entry_bundle.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::audit {
namespace {

using ::domicile::testing::StatusIs;

constexpr char kVkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

TEST(AuditState, AbsentStateIsNoState) {
  domicile::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::optional<AuditState> s, LoadAuditState(dir / "nothing", nullptr));
  EXPECT_FALSE(s.has_value());
}

TEST(AuditState, RoundTripsAndMirrorsEntries) {
  domicile::testing::TempDir dir;
  const std::string note =
      testing::ReadOrFail(std::filesystem::path(DOMICILE_TESSERA_LOG_DIR) / "checkpoint.2");
  ASSERT_OK_AND_ASSIGN(tlog::NoteVerifier key, tlog::ParseNoteVerifier(kVkey));
  ASSERT_OK_AND_ASSIGN(tlog::Checkpoint cp, tlog::OpenCheckpoint(note, key));
  const std::vector<Bytes> entries = {ToBytes("one"), ToBytes("two")};
  TreeHasher hasher;
  CompactRange range;
  for (const Bytes& e : entries) ASSERT_OK(range.Append(0, hasher.Leaf(e), hasher));
  ASSERT_EQ(range.Root(hasher), cp.root);

  const Bytes bundle = tlog::FormatEntryBundle(entries);
  std::vector<FetchedBundle> bundles = {{0, 2, ToString(bundle)}};
  ASSERT_OK(CommitAuditState(dir.path(), AuditState{note, cp, range}, bundles, 0));
  ASSERT_OK_AND_ASSIGN(std::optional<AuditState> loaded, LoadAuditState(dir.path(), &key));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->note, note);
  EXPECT_EQ(loaded->checkpoint, cp);
  EXPECT_EQ(loaded->range.hashes(), range.hashes());
  ASSERT_OK_AND_ASSIGN(std::optional<AuditState> unkeyed, LoadAuditState(dir.path(), nullptr));
  EXPECT_EQ(unkeyed->checkpoint, cp);

  std::vector<std::string> seen;
  ASSERT_OK(ForEachMirroredEntry(dir.path(), 2, [&](uint64_t, ByteView e) {
    seen.push_back(ToString(e));
    return absl::OkStatus();
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"one", "two"}));
  EXPECT_THAT(
      ForEachMirroredEntry(dir.path(), 3, [](uint64_t, ByteView) { return absl::OkStatus(); }),
      StatusIs(absl::StatusCode::kDataLoss));

  testing::WriteOrFail(dir / kStateFileName, "{\"version\":1}");
  EXPECT_THAT(LoadAuditState(dir.path(), &key), StatusIs(absl::StatusCode::kDataLoss));
  testing::WriteOrFail(dir / kStateFileName, "not json");
  EXPECT_THAT(LoadAuditState(dir.path(), &key), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace domicile::audit
