// The verifier against logs generated here (any size, tile levels 0-2, partial tiles, forks and
// forgeries signed with the log's own key), incrementally with a state directory and from
// scratch.
#include "audit/log_verifier.h"

#include "audit/audit_state.h"
#include "audit/directory_log_source.h"
#include "audit/test_log_writer.h"
#include "audit/test_util.h"
#include "crypto/random.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::audit {
namespace {

using ::domicile::audit::testing::FlipByte;
using ::domicile::audit::testing::Snapshot;
using ::domicile::audit::testing::TestLogWriter;
using ::domicile::audit::testing::WriteOrFail;
using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kOrigin[] = "audit.test/log";

Bytes RandomSeed() {
  absl::StatusOr<crypto::SecretBytes> seed = crypto::RandomSecret(32);
  EXPECT_TRUE(seed.ok());
  return Bytes(seed->view().begin(), seed->view().end());
}

// Entry i of a log; `tag` tells two logs apart.
Bytes Entry(uint64_t i, std::string_view tag = "a") {
  return ToBytes(fmt::format("{}-entry-{}-{}", tag, i, std::string(i % 97, 'x')));
}

class LogVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = RandomSeed();
    ASSERT_OK_AND_ASSIGN(TestLogWriter w, TestLogWriter::Create(dir_ / "log", kOrigin, seed_));
    writer_ = std::make_unique<TestLogWriter>(std::move(w));
    ASSERT_OK_AND_ASSIGN(key_, tlog::ParseNoteVerifier(writer_->verifier_key()));
  }

  // Grows the log to `size` entries and publishes it; returns the signed checkpoint.
  std::string GrowTo(uint64_t size, TestLogWriter* writer = nullptr, std::string_view tag = "a") {
    if (writer == nullptr) writer = writer_.get();
    while (writer->size() < size) writer->Append(Entry(writer->size(), tag));
    absl::StatusOr<std::string> note = writer->Publish();
    EXPECT_TRUE(note.ok()) << note.status();
    return note.ok() ? *note : "";
  }

  absl::StatusOr<VerifyResult> Verify(const std::filesystem::path& state = {}) {
    DirectoryLogSource source(writer_->dir());
    return VerifyLog(source, key_, state);
  }

  std::string Message(const absl::StatusOr<VerifyResult>& r) {
    return std::string(r.status().message());
  }

  std::filesystem::path LogFile(const std::string& rel) { return writer_->dir() / rel; }

  domicile::testing::TempDir dir_;
  Bytes seed_;
  std::unique_ptr<TestLogWriter> writer_;
  tlog::NoteVerifier key_;
};

TEST_F(LogVerifierTest, VerifiesIncrementallyAcrossTileLevelsAndMirrorsEveryEntry) {
  const std::filesystem::path state = dir_ / "state";
  std::optional<uint64_t> previous;
  for (uint64_t size : {0, 1, 2, 255, 256, 257, 511, 513, 65'535, 65'536, 65'537, 70'000}) {
    GrowTo(size);
    ASSERT_OK_AND_ASSIGN(VerifyResult r, Verify(state));
    EXPECT_EQ(r.checkpoint.size, size);
    EXPECT_EQ(r.checkpoint.root, writer_->Root());
    EXPECT_EQ(r.previous_size, previous);
    EXPECT_EQ(r.entries_verified, size - previous.value_or(0));
    previous = size;
  }
  // A tree of 70,000 has tiles at levels 0, 1 and 2 (C2SP tlog-tiles' own example).
  EXPECT_TRUE(std::filesystem::exists(LogFile("tile/0/273.p/112")));
  EXPECT_TRUE(std::filesystem::exists(LogFile("tile/1/001.p/17")));
  EXPECT_TRUE(std::filesystem::exists(LogFile("tile/2/000.p/1")));

  // The mirror holds exactly the log's entries, and the stale partial bundles are gone.
  uint64_t n = 0;
  ASSERT_OK(ForEachMirroredEntry(state, 70'000, [&](uint64_t i, ByteView e) {
    EXPECT_EQ(i, n++);
    EXPECT_TRUE(std::ranges::equal(e, writer_->entries()[i])) << i;
    return absl::OkStatus();
  }));
  EXPECT_EQ(n, 70'000u);
  EXPECT_FALSE(std::filesystem::exists(state / "tile/entries/256.p/1"));
  EXPECT_TRUE(std::filesystem::exists(state / "tile/entries/273.p/112"));

  // Nothing new: still consistent, nothing re-verified.
  ASSERT_OK_AND_ASSIGN(VerifyResult again, Verify(state));
  EXPECT_EQ(again.entries_verified, 0u);
  EXPECT_EQ(again.previous_size, 70'000u);
  EXPECT_EQ(FormatVerifySummary(again),
            fmt::format("verified {} at size 70000, root {}: 0 entries verified, consistent with "
                        "previous size 70000",
                        kOrigin, Base64Encode(writer_->Root())));

  // And from scratch, without a state.
  ASSERT_OK_AND_ASSIGN(VerifyResult scratch, Verify());
  EXPECT_EQ(scratch.entries_verified, 70'000u);
  EXPECT_EQ(scratch.previous_size, std::nullopt);
  EXPECT_THAT(FormatVerifySummary(scratch), HasSubstr("70000 entries verified, no previous state"));
}

TEST_F(LogVerifierTest, EveryPairOfPublishedSizesIsProvedConsistent) {
  const std::vector<uint64_t> sizes = {0,   1,   2,   3,   5,   8,   100, 255,  256,
                                       257, 300, 511, 512, 513, 767, 768, 1000, 1025};
  std::map<uint64_t, std::string> notes;
  for (uint64_t s : sizes) notes[s] = GrowTo(s);
  for (size_t i = 0; i < sizes.size(); ++i) {
    for (size_t j = i; j < sizes.size(); ++j) {
      const std::filesystem::path state = dir_ / fmt::format("state-{}-{}", i, j);
      WriteOrFail(LogFile("checkpoint"), notes[sizes[i]]);
      ASSERT_OK(Verify(state)) << sizes[i];
      WriteOrFail(LogFile("checkpoint"), notes[sizes[j]]);
      absl::StatusOr<VerifyResult> r = Verify(state);
      ASSERT_OK(r) << sizes[i] << " -> " << sizes[j];
      EXPECT_EQ(r->previous_size, sizes[i]);
      EXPECT_EQ(r->entries_verified, sizes[j] - sizes[i]);
    }
  }
}

TEST_F(LogVerifierTest, LargerStepsAcrossLevelsAreProvedConsistent) {
  const std::vector<uint64_t> sizes = {1, 256, 65'535, 65'536, 65'537, 66'000, 70'000};
  std::map<uint64_t, std::string> notes;
  for (uint64_t s : sizes) notes[s] = GrowTo(s);
  for (size_t i = 0; i < sizes.size(); ++i) {
    for (size_t j = i + 1; j < sizes.size(); ++j) {
      const std::filesystem::path state = dir_ / fmt::format("state-{}-{}", i, j);
      WriteOrFail(LogFile("checkpoint"), notes[sizes[i]]);
      ASSERT_OK(Verify(state));
      WriteOrFail(LogFile("checkpoint"), notes[sizes[j]]);
      EXPECT_OK(Verify(state)) << sizes[i] << " -> " << sizes[j];
    }
  }
}

TEST_F(LogVerifierTest, ATamperedHigherTileIsNamedWithItsHash) {
  GrowTo(70'000);
  FlipByte(LogFile("tile/1/000"), 3 * 32 + 5);
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r),
              HasSubstr("tile/1/000 hash 3 does not match tile/0/003 recomputed from its entries"));
}

TEST_F(LogVerifierTest, ATamperedLevelTwoTileIsNamed) {
  GrowTo(70'000);
  FlipByte(LogFile("tile/2/000.p/1"), 0);
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("tile/2/000.p/1 hash 0 does not match tile/1/000 recomputed "
                                    "from the level below"));
}

TEST_F(LogVerifierTest, ATamperedEntryOrLeafHashIsNamedWithItsIndex) {
  GrowTo(2000);
  // Entry 1234 is entry 210 of bundle 4; flip a byte of its text.
  {
    const std::filesystem::path bundle = LogFile("tile/entries/004");
    const std::string original = testing::ReadOrFail(bundle);
    const std::string needle = "a-entry-1234-";
    const size_t at = original.find(needle);
    ASSERT_NE(at, std::string::npos);
    FlipByte(bundle, long(at + 3));
    absl::StatusOr<VerifyResult> r = Verify();
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(Message(r), HasSubstr("entry 1234 does not match tile/0/004"));
    WriteOrFail(bundle, original);
  }
  {
    FlipByte(LogFile("tile/0/004"), 210 * 32 + 31);
    absl::StatusOr<VerifyResult> r = Verify();
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(Message(r), HasSubstr("entry 1234 does not match tile/0/004"));
  }
}

TEST_F(LogVerifierTest, TruncatedOrShortResourcesAreNamed) {
  GrowTo(1000);
  const std::string bundle = testing::ReadOrFail(LogFile("tile/entries/001"));
  WriteOrFail(LogFile("tile/entries/001"), bundle.substr(0, bundle.size() - 1));
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("tile/entries/001 is truncated: entry 511 needs"));
  WriteOrFail(LogFile("tile/entries/001"), bundle + "x");
  EXPECT_THAT(Message(Verify()), HasSubstr("tile/entries/001 has 1 bytes after its 256 entries"));
  WriteOrFail(LogFile("tile/entries/001"), bundle);
  ASSERT_OK(Verify());

  const std::string tile = testing::ReadOrFail(LogFile("tile/0/003.p/232"));
  WriteOrFail(LogFile("tile/0/003.p/232"), tile.substr(0, tile.size() - 32));
  EXPECT_THAT(Message(Verify()), HasSubstr("tile/0/003.p/232 is 7392 bytes, want 7424"));
}

TEST_F(LogVerifierTest, PartialTilesReplacedByFullOnesAreReadFromThem) {
  const std::string at_300 = GrowTo(300);
  const std::string partial_bundle = testing::ReadOrFail(LogFile("tile/entries/001.p/44"));
  GrowTo(600);
  // The log deleted the partial tile and bundle of size 300 once the full ones existed.
  std::filesystem::remove(LogFile("tile/0/001.p/44"));
  std::filesystem::remove(LogFile("tile/entries/001.p/44"));
  WriteOrFail(LogFile("checkpoint"), at_300);
  const std::filesystem::path state = dir_ / "state";
  ASSERT_OK_AND_ASSIGN(VerifyResult r, Verify(state));
  EXPECT_EQ(r.checkpoint.size, 300u);
  // The mirror holds the bundle of size 300, not the full one it was read from.
  EXPECT_EQ(testing::ReadOrFail(state / "tile/entries/001.p/44"), partial_bundle);
  EXPECT_FALSE(std::filesystem::exists(state / "tile/entries/001"));
  // A changed entry within the used part of the full bundle is still caught.
  FlipByte(LogFile("tile/entries/001"), 5);
  EXPECT_THAT(Message(Verify()), HasSubstr("entry 256 does not match tile/0/001"));
}

TEST_F(LogVerifierTest, AMissingTileIsNamed) {
  GrowTo(70'000);
  std::filesystem::remove(LogFile("tile/1/001.p/17"));
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Message(r), HasSubstr("missing tile/1/001.p/17"));
}

TEST_F(LogVerifierTest, ASignedCheckpointWithAWrongRootIsARootMismatch) {
  GrowTo(300);
  tlog::Checkpoint forged{kOrigin, 300, tlog::LeafHash(AsBytes("not the root")), {}};
  ASSERT_OK_AND_ASSIGN(std::string note, writer_->Sign(forged));
  WriteOrFail(LogFile("checkpoint"), note);
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("root mismatch: the entries and tiles of size 300 hash to"));
}

TEST_F(LogVerifierTest, AnotherKeyIsRefused) {
  GrowTo(10);
  ASSERT_OK_AND_ASSIGN(TestLogWriter other,
                       TestLogWriter::Create(dir_ / "other", kOrigin, RandomSeed()));
  ASSERT_OK_AND_ASSIGN(tlog::NoteVerifier other_key, tlog::ParseNoteVerifier(other.verifier_key()));
  DirectoryLogSource source(writer_->dir());
  absl::StatusOr<VerifyResult> r = VerifyLog(source, other_key);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Message(r), HasSubstr("no signature by audit.test/log+"));

  // A state made with one key is not silently reused with another.
  ASSERT_OK(Verify(dir_ / "state"));
  r = VerifyLog(source, other_key, dir_ / "state");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Message(r), HasSubstr("does not verify with this key"));
}

TEST_F(LogVerifierTest, RollbackIsRefusedAndTheStateIsKept) {
  const std::string at_256 = GrowTo(256);
  GrowTo(70'000);
  const std::filesystem::path state = dir_ / "state";
  ASSERT_OK(Verify(state));
  const auto before = Snapshot(state);
  WriteOrFail(LogFile("checkpoint"), at_256);
  absl::StatusOr<VerifyResult> r = Verify(state);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Message(r), HasSubstr("rollback: the log's checkpoint has size 256, smaller than "
                                    "the size 70000 already verified"));
  EXPECT_EQ(Snapshot(state), before);
}

TEST_F(LogVerifierTest, AForkSignedWithTheSameKeyIsRefused) {
  // Log b has the same key and origin; it shares a's first 290 entries, then differs.
  ASSERT_OK_AND_ASSIGN(TestLogWriter b, TestLogWriter::Create(dir_ / "b", kOrigin, seed_));
  const std::string b_at_200 = GrowTo(200, &b, "a");
  GrowTo(290, &b, "a");
  const std::string b_at_300 = GrowTo(300, &b, "b");
  const std::string b_at_500 = GrowTo(500, &b, "b");

  GrowTo(300);
  const std::filesystem::path state = dir_ / "state";
  ASSERT_OK(Verify(state));
  const auto before = Snapshot(state);

  auto verify_b = [&](const std::string& note) {
    WriteOrFail(b.dir() / "checkpoint", note);
    DirectoryLogSource source(b.dir());
    return VerifyLog(source, key_, state);
  };
  absl::StatusOr<VerifyResult> same_size = verify_b(b_at_300);
  EXPECT_THAT(same_size, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(same_size), HasSubstr("fork: the log's checkpoint at size 300 has root"));

  absl::StatusOr<VerifyResult> larger = verify_b(b_at_500);
  EXPECT_THAT(larger, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(larger), HasSubstr("fork: the log's checkpoint at size 500"));
  EXPECT_THAT(Message(larger), HasSubstr("does not extend the checkpoint verified at size 300"));
  EXPECT_THAT(Message(larger), HasSubstr("entry 290 differs from the copy verified at size 300"));

  absl::StatusOr<VerifyResult> smaller = verify_b(b_at_200);
  EXPECT_THAT(smaller, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Message(smaller), HasSubstr("rollback"));
  EXPECT_EQ(Snapshot(state), before);

  // The genuine log still continues from the state.
  GrowTo(600);
  EXPECT_OK(Verify(state));
}

TEST_F(LogVerifierTest, TamperingWithOldEntriesInTheEdgeBundleIsCaught) {
  GrowTo(300);
  const std::filesystem::path state = dir_ / "state";
  ASSERT_OK(Verify(state));
  GrowTo(400);
  // Entry 260 was verified at size 300; the bundle of size 400 re-serves it.
  const std::filesystem::path bundle = LogFile("tile/entries/001.p/144");
  const std::string data = testing::ReadOrFail(bundle);
  const size_t at = data.find("a-entry-260-");
  ASSERT_NE(at, std::string::npos);
  FlipByte(bundle, long(at));
  absl::StatusOr<VerifyResult> r = Verify(state);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("entry 260 does not match tile/0/001.p/144"));
}

TEST_F(LogVerifierTest, ADamagedStateIsRefused) {
  GrowTo(300);
  const std::filesystem::path state = dir_ / "state";
  ASSERT_OK(Verify(state));
  std::string json = testing::ReadOrFail(state / kStateFileName);
  const size_t at = json.find("\"compact_range\"");
  ASSERT_NE(at, std::string::npos);
  const size_t hex = json.find('"', json.find('[', at)) + 1;
  json[hex] = json[hex] == '0' ? '1' : '0';
  WriteOrFail(state / kStateFileName, json);
  absl::StatusOr<VerifyResult> r = Verify(state);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("compact range does not hash to its checkpoint's root"));
}

}  // namespace
}  // namespace domicile::audit
