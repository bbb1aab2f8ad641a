// The auditor against the real log written by transparency-dev/tessera (tests/testdata/
// tessera-log): every checkpoint verified in sequence and in every pair with a state, from
// scratch, and refused after any byte of it changes.
#include <filesystem>

#include "audit/directory_log_source.h"
#include "audit/log_verifier.h"
#include "audit/test_util.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::audit {
namespace {

using ::domicile::audit::testing::CopyWritable;
using ::domicile::audit::testing::FlipByte;
using ::domicile::audit::testing::ReadOrFail;
using ::domicile::audit::testing::Snapshot;
using ::domicile::audit::testing::WriteOrFail;
using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kLogSize = 15;
constexpr char kVkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
const std::filesystem::path kTesseraLog = DOMICILE_TESSERA_LOG_DIR;

class TesseraAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kTesseraLog)) << kTesseraLog;
    log_ = dir_ / "log";
    CopyWritable(kTesseraLog, log_);
    ASSERT_OK_AND_ASSIGN(key_, tlog::ParseNoteVerifier(kVkey));
    EXPECT_EQ(ReadOrFail(kTesseraLog / "VKEY").substr(0, sizeof(kVkey) - 1), kVkey);
  }

  // Makes checkpoint.N the log's current checkpoint.
  void UseCheckpoint(uint64_t n) {
    WriteOrFail(log_ / "checkpoint", ReadOrFail(log_ / fmt::format("checkpoint.{}", n)));
  }

  absl::StatusOr<VerifyResult> Verify(const std::filesystem::path& state = {}) {
    DirectoryLogSource source(log_);
    return VerifyLog(source, key_, state);
  }

  static std::string Message(const absl::StatusOr<VerifyResult>& r) {
    return std::string(r.status().message());
  }

  domicile::testing::TempDir dir_;
  std::filesystem::path log_;
  tlog::NoteVerifier key_;
};

TEST_F(TesseraAuditTest, EveryCheckpointInSequenceExtendsThePrevious) {
  const std::filesystem::path state = dir_ / "state";
  for (uint64_t n = 0; n <= kLogSize; ++n) {
    UseCheckpoint(n);
    absl::StatusOr<VerifyResult> r = Verify(state);
    ASSERT_OK(r) << "checkpoint." << n;
    EXPECT_EQ(r->checkpoint.size, n);
    EXPECT_EQ(r->checkpoint.origin, "example.com/log/testdata");
    if (n == 0) {
      EXPECT_EQ(r->previous_size, std::nullopt);
    } else {
      EXPECT_EQ(r->previous_size, n - 1);
      EXPECT_EQ(r->entries_verified, 1u);
    }
  }
  EXPECT_EQ(ReadOrFail(state / "tile/entries/000.p/15"),
            ReadOrFail(kTesseraLog / "tile/entries/000.p/15"));
  EXPECT_FALSE(std::filesystem::exists(state / "tile/entries/000.p/14"));
}

TEST_F(TesseraAuditTest, EveryPairOfCheckpointsIsProvedConsistent) {
  for (uint64_t m = 0; m <= kLogSize; ++m) {
    for (uint64_t n = m; n <= kLogSize; ++n) {
      const std::filesystem::path state = dir_ / fmt::format("state-{}-{}", m, n);
      UseCheckpoint(m);
      ASSERT_OK(Verify(state)) << m;
      UseCheckpoint(n);
      absl::StatusOr<VerifyResult> r = Verify(state);
      ASSERT_OK(r) << m << " -> " << n;
      EXPECT_EQ(r->previous_size, m);
      EXPECT_EQ(r->entries_verified, n - m);
    }
  }
}

TEST_F(TesseraAuditTest, EveryCheckpointVerifiesFromScratch) {
  for (uint64_t n = 0; n <= kLogSize; ++n) {
    UseCheckpoint(n);
    absl::StatusOr<VerifyResult> r = Verify();
    ASSERT_OK(r) << n;
    EXPECT_EQ(r->entries_verified, n);
  }
  WriteOrFail(log_ / "checkpoint", ReadOrFail(kTesseraLog / "checkpoint"));
  ASSERT_OK_AND_ASSIGN(VerifyResult latest, Verify());
  EXPECT_EQ(FormatVerifySummary(latest),
            "verified example.com/log/testdata at size 15, root "
            "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=: 15 entries verified, no previous state");
}

TEST_F(TesseraAuditTest, AFlippedEntryByteIsNamed) {
  // Entry 0 starts after its 2-byte length prefix.
  FlipByte(log_ / "tile/entries/000.p/15", 2);
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("entry 0 does not match tile/0/000.p/15"));
}

TEST_F(TesseraAuditTest, AFlippedLastEntryByteIsNamed) {
  FlipByte(log_ / "tile/entries/000.p/15", -1);
  EXPECT_THAT(Message(Verify()), HasSubstr("entry 14 does not match tile/0/000.p/15"));
}

TEST_F(TesseraAuditTest, ATruncatedBundleIsNamed) {
  const std::string bundle = ReadOrFail(log_ / "tile/entries/000.p/15");
  WriteOrFail(log_ / "tile/entries/000.p/15", bundle.substr(0, bundle.size() - 1));
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("tile/entries/000.p/15 is truncated: entry 14"));
}

TEST_F(TesseraAuditTest, AFlippedTileByteIsNamed) {
  FlipByte(log_ / "tile/0/000.p/15", 7 * 32 + 4);
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("entry 7 does not match tile/0/000.p/15"));
}

TEST_F(TesseraAuditTest, AMissingTileIsNamed) {
  std::filesystem::remove(log_ / "tile/0/000.p/15");
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Message(r), HasSubstr("missing tile/0/000.p/15"));
}

TEST_F(TesseraAuditTest, AFlippedSignatureByteIsRefused) {
  // The last bytes of the note are the base64 signature and its newline.
  FlipByte(log_ / "checkpoint", -5);
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Message(r), HasSubstr("checkpoint"));
  EXPECT_THAT(Message(r), HasSubstr("signature by example.com/log/testdata does not verify"));
}

TEST_F(TesseraAuditTest, AFlippedRootByteBreaksTheSignature) {
  const std::string note = ReadOrFail(log_ / "checkpoint");
  const size_t root = note.find("rKbD");
  ASSERT_NE(root, std::string::npos);
  FlipByte(log_ / "checkpoint", long(root + 1));  // 'K' -> 'J': another valid root
  absl::StatusOr<VerifyResult> r = Verify();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Message(r), HasSubstr("signature by example.com/log/testdata does not verify"));
}

TEST_F(TesseraAuditTest, AnotherKeyIsRefused) {
  ASSERT_OK_AND_ASSIGN(tlog::NoteVerifier other, tlog::ParseNoteVerifier(kVkey));
  // A key with the same name but a different public key (so a different key ID).
  other.public_key[0] ^= 1;
  other.key_id = tlog::NoteKeyId(other.name, other.public_key);
  DirectoryLogSource source(log_);
  absl::StatusOr<VerifyResult> r = VerifyLog(source, other);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Message(r), HasSubstr("no signature by example.com/log/testdata+"));
}

TEST_F(TesseraAuditTest, RollbackFrom15To8IsRefused) {
  const std::filesystem::path state = dir_ / "state";
  UseCheckpoint(15);
  ASSERT_OK(Verify(state));
  const auto before = Snapshot(state);
  UseCheckpoint(8);
  absl::StatusOr<VerifyResult> r = Verify(state);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Message(r), HasSubstr("rollback: the log's checkpoint has size 8, smaller than the "
                                    "size 15 already verified"));
  EXPECT_EQ(Snapshot(state), before);
}

TEST_F(TesseraAuditTest, TamperingAfterAVerifiedSizeIsCaughtIncrementally) {
  const std::filesystem::path state = dir_ / "state";
  UseCheckpoint(8);
  ASSERT_OK(Verify(state));
  const auto before = Snapshot(state);
  UseCheckpoint(15);
  // Entry 0 was verified at size 8; the bundle of size 15 serves it again, changed.
  FlipByte(log_ / "tile/entries/000.p/15", 2 + 1);
  absl::StatusOr<VerifyResult> r = Verify(state);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Message(r), HasSubstr("entry 0 does not match tile/0/000.p/15"));
  EXPECT_EQ(Snapshot(state), before);  // nothing written on failure
}

}  // namespace
}  // namespace domicile::audit
