// The verifier with required witnesses: a checkpoint passes only with a valid cosignature by
// every witness given; cosignatures by other keys are ignored; a refusal names the witness and
// leaves the state as it was.
#include "audit/directory_log_source.h"
#include "audit/log_verifier.h"
#include "audit/test_log_writer.h"
#include "audit/test_util.h"
#include "crypto/ed25519.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/cosignature.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::audit {
namespace {

using ::domicile::audit::testing::ReadOrFail;
using ::domicile::audit::testing::TestLogWriter;
using ::domicile::audit::testing::WriteOrFail;
using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kOrigin[] = "audit.test/log";
constexpr uint64_t kTime = 1'700'000'000;

class LogVerifierWitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TestLogWriter w,
                         TestLogWriter::Create(dir_ / "log", kOrigin, Bytes(32, 0x22)));
    writer_ = std::make_unique<TestLogWriter>(std::move(w));
    ASSERT_OK_AND_ASSIGN(key_, tlog::ParseNoteVerifier(writer_->verifier_key()));
    for (uint8_t i = 0; i < 3; ++i) {
      seeds_.push_back(Bytes(32, static_cast<uint8_t>(0x40 + i)));
      ASSERT_OK_AND_ASSIGN(
          tlog::CosignerVerifier v,
          tlog::MakeCosignerVerifier(fmt::format("witness.example/w{}", i),
                                     *crypto::Ed25519PublicFromSeed(seeds_.back())));
      witnesses_.push_back(v);
    }
  }

  // Grows the log to `size` and publishes a checkpoint cosigned by the witnesses `cosigners`.
  void Publish(uint64_t size, std::vector<int> cosigners) {
    while (writer_->size() < size) {
      writer_->Append(ToBytes(fmt::format("entry {}", writer_->size())));
    }
    ASSERT_OK_AND_ASSIGN(std::string note, writer_->Publish());
    ASSERT_OK_AND_ASSIGN(tlog::Note parsed, tlog::ParseNote(note));
    const std::string text = parsed.text;
    for (int i : cosigners) {
      ASSERT_OK_AND_ASSIGN(std::string line,
                           tlog::MakeCosignatureWithSeed(text, witnesses_[i].name, seeds_[i],
                                                         kTime + static_cast<uint64_t>(i)));
      note += line;
    }
    WriteOrFail(writer_->dir() / "checkpoint", note);
  }

  absl::StatusOr<VerifyResult> Verify(std::vector<tlog::CosignerVerifier> witnesses,
                                      const std::filesystem::path& state = {}) {
    DirectoryLogSource source(writer_->dir());
    return VerifyLog(source, key_, state, witnesses);
  }

  domicile::testing::TempDir dir_;
  std::unique_ptr<TestLogWriter> writer_;
  tlog::NoteVerifier key_;
  std::vector<Bytes> seeds_;
  std::vector<tlog::CosignerVerifier> witnesses_;
};

TEST_F(LogVerifierWitnessTest, ACosignedCheckpointPassesAndTheSummarySaysByWhom) {
  Publish(300, {0, 1});
  ASSERT_OK_AND_ASSIGN(VerifyResult r, Verify({witnesses_[1], witnesses_[0]}));
  ASSERT_EQ(r.cosignatures.size(), 2u);
  EXPECT_EQ(r.cosignatures[0].witness, "witness.example/w1");
  EXPECT_EQ(r.cosignatures[0].timestamp, kTime + 1);
  EXPECT_EQ(r.cosignatures[1].witness, "witness.example/w0");
  EXPECT_THAT(FormatVerifySummary(r),
              HasSubstr("no previous state; cosigned by witness.example/w1 at "
                        "2023-11-14T22:13:21Z; cosigned by witness.example/w0 at "
                        "2023-11-14T22:13:20Z"));
  // Cosignatures nobody asked for are ignored, and so is their absence without --witness.
  ASSERT_OK_AND_ASSIGN(VerifyResult plain, Verify({}));
  EXPECT_TRUE(plain.cosignatures.empty());
  EXPECT_OK(Verify({witnesses_[0]}));
}

TEST_F(LogVerifierWitnessTest, AMissingCosignatureIsRefusedNamingTheWitness) {
  Publish(300, {0});
  absl::StatusOr<VerifyResult> r = Verify({witnesses_[0], witnesses_[2]});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr(fmt::format("no cosignature by witness witness.example/w2+{:08x}",
                                    witnesses_[2].key_id)));
  Publish(400, {});
  EXPECT_THAT(Verify({witnesses_[0]}), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(LogVerifierWitnessTest, ABadCosignatureIsRefusedAndTheStateStays) {
  const std::filesystem::path state = dir_ / "state";
  Publish(100, {0});
  ASSERT_OK(Verify({witnesses_[0]}, state));

  // The log grows; its new checkpoint carries the witness's cosignature of the old one.
  const std::string first = ReadOrFail(writer_->dir() / "checkpoint");
  const std::string old_line = first.substr(first.rfind("\xE2\x80\x94"));
  Publish(200, {});
  const std::filesystem::path cp = writer_->dir() / "checkpoint";
  WriteOrFail(cp, ReadOrFail(cp) + old_line);
  absl::StatusOr<VerifyResult> r = Verify({witnesses_[0]}, state);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("cosignature by witness witness.example/w0"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("does not verify"));

  // Nothing advanced: with the cosignature in place, 200 is verified from 100.
  Publish(200, {0});
  ASSERT_OK_AND_ASSIGN(VerifyResult ok, Verify({witnesses_[0]}, state));
  EXPECT_EQ(ok.previous_size, 100u);
  EXPECT_EQ(ok.entries_verified, 100u);
}

}  // namespace
}  // namespace domicile::audit
