// Cosigned checkpoints end to end in one process: a real Log whose signer asks an in-process
// Witness (WithWitnesses + MakeLocalWitness), and the client protocol of WitnessSession against
// scripted answers (409 and retry, refusals, bad answers).
#include "tlog/checkpoint_witness.h"

#include <atomic>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/log_test_fixture.h"
#include "tlog/witness.h"
#include "tlog/witness_session.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::string_view kWitnessName = "witness.example/w1";

class CheckpointWitnessTest : public LogTest {
 protected:
  void SetUp() override {
    LogTest::SetUp();
    witness_pub_ = *crypto::Ed25519PublicFromSeed(witness_seed_);
    ASSERT_NO_FATAL_FAILURE(OpenWitness({verifier_}));
  }

  void OpenWitness(std::vector<NoteVerifier> trusted) {
    local_.reset();
    witness_.reset();
    witness_store_.reset();
    ASSERT_OK_AND_ASSIGN(witness_store_, store::OpenRocksDbStore(dir_ / "witness"));
    ASSERT_OK_AND_ASSIGN(witness_, Witness::Create(
                                       std::string(kWitnessName), witness_pub_,
                                       [this](ByteView m) -> absl::StatusOr<Bytes> {
                                         ASSIGN_OR_RETURN(crypto::Ed25519Signature s,
                                                          crypto::Ed25519Sign(witness_seed_, m));
                                         return Bytes(s.begin(), s.end());
                                       },
                                       std::move(trusted), witness_store_.get(), &clock_));
    local_ = MakeLocalWitness(witness_.get());
  }

  // A log whose checkpoints the in-process witness cosigns; the proofs come from the log itself,
  // bound once it is open.
  absl::StatusOr<std::unique_ptr<Log>> OpenWitnessedLog() {
    ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> kv, store::OpenRocksDbStore(dir_ / "log"));
    ConsistencyProofFn proofs = [this](uint64_t m,
                                       uint64_t n) -> absl::StatusOr<std::vector<Hash>> {
      const Log* log = log_.load();
      if (log == nullptr) return absl::UnavailableError("test: the log is not open yet");
      return log->ConsistencyProof(m, n);
    };
    ASSIGN_OR_RETURN(
        std::unique_ptr<Log> log,
        Log::Open(std::move(kv), Options(),
                  WithWitnesses(Signer(), {local_.get()}, std::move(proofs)), &clock_));
    log_ = log.get();
    return log;
  }

  // The log's latest checkpoint: opened with the log's key, and its cosignature's timestamp.
  void ExpectCosigned(Log& log, uint64_t size) {
    ASSERT_OK_AND_ASSIGN(std::string note, log.LatestCheckpoint());
    ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(note, verifier_));
    EXPECT_EQ(cp.size, size);
    ASSERT_OK_AND_ASSIGN(uint64_t when, VerifyCosignature(note, witness_->verifier()));
    EXPECT_EQ(when, static_cast<uint64_t>(clock_.NowUnixSeconds()));
  }

  const Bytes witness_seed_ = Bytes(32, 0x11);
  crypto::Ed25519PublicKey witness_pub_{};
  std::unique_ptr<store::KvStore> witness_store_;
  std::unique_ptr<Witness> witness_;
  std::unique_ptr<CheckpointWitness> local_;
  std::atomic<const Log*> log_{nullptr};
};

TEST_F(CheckpointWitnessTest, EveryCheckpointOfAGrowingLogIsCosignedConsistently) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenWitnessedLog());
  for (uint64_t size : {1u, 7u, 300u, 1000u, 5000u}) {
    GrowTo(*log, size);
    ASSERT_OK(log->Flush());
    ASSERT_NO_FATAL_FAILURE(ExpectCosigned(*log, size));
    // The witness holds exactly what the log published, and the session knows its size.
    ASSERT_OK_AND_ASSIGN(std::string held, witness_->LatestCheckpoint(kTestOrigin));
    EXPECT_EQ(OpenCheckpoint(held, verifier_)->size, size);
    EXPECT_EQ(static_cast<WitnessSession*>(local_.get())->known_size(), size);
    clock_.Advance(std::chrono::seconds(5));
  }
}

TEST_F(CheckpointWitnessTest, ARestartedLogLearnsTheWitnesssSizeAndGoesOn) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenWitnessedLog());
    GrowTo(*log, 500);
    ASSERT_OK(log->Flush());
    ASSERT_NO_FATAL_FAILURE(ExpectCosigned(*log, 500));
    log->Close();
    log_ = nullptr;
  }
  // Everything restarts: the witness from its store, the session from nothing (size 0).
  ASSERT_NO_FATAL_FAILURE(OpenWitness({verifier_}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenWitnessedLog());
  GrowTo(*log, 800);
  ASSERT_OK(log->Flush());
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(*log, 800));
}

TEST_F(CheckpointWitnessTest, AFailingWitnessCostsTheCosignatureNotTheCheckpoint) {
  // A witness that does not trust this log's key: 404 for its origin.
  ASSERT_OK_AND_ASSIGN(Bytes other, crypto::RandomBytes(32));
  const crypto::Ed25519PublicKey other_pub = *crypto::Ed25519PublicFromSeed(other);
  ASSERT_NO_FATAL_FAILURE(OpenWitness(
      {{"example.com/another-log", NoteKeyId("example.com/another-log", other_pub), other_pub}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenWitnessedLog());
  GrowTo(*log, 10);
  ASSERT_OK(log->Flush());
  ASSERT_OK_AND_ASSIGN(std::string note, log->LatestCheckpoint());
  EXPECT_OK(OpenCheckpoint(note, verifier_));
  EXPECT_THAT(VerifyCosignature(note, witness_->verifier()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A failing log signer is still a failure.
  fail_signing_ = true;
  GrowTo(*log, 11);
  EXPECT_THAT(log->Flush(), StatusIs(absl::StatusCode::kUnavailable));
}

// WitnessSession against scripted answers.
class WitnessSessionTest : public CheckpointWitnessTest {
 protected:
  // A session whose transport hands the body to the real witness unless `script_` answers.
  std::unique_ptr<WitnessSession> Session() {
    return std::make_unique<WitnessSession>(
        witness_->verifier(),
        [this](std::string_view body) -> absl::StatusOr<AddCheckpointResponse> {
          bodies_.emplace_back(body);
          if (!script_.empty()) {
            absl::StatusOr<AddCheckpointResponse> next = script_.front();
            script_.erase(script_.begin());
            return next;
          }
          return witness_->AddCheckpoint(body);
        },
        "w1 (scripted)");
  }
  std::string Checkpoint(uint64_t size, const std::vector<Hash>& leaves) {
    return *SignNote(
        FormatCheckpoint({std::string(kTestOrigin), size, RootFromLeafHashes(leaves), {}}),
        kTestOrigin, seed_);
  }

  std::vector<absl::StatusOr<AddCheckpointResponse>> script_;
  std::vector<std::string> bodies_;
};

TEST_F(WitnessSessionTest, LearnsTheSizeFromA409AndRetriesOnceWithTheRightProof) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 40; ++i) leaves.push_back(LeafHash(EntryFor(i)));
  auto proofs = [&](uint64_t m, uint64_t n) -> absl::StatusOr<std::vector<Hash>> {
    return ConsistencyProof(m, std::span<const Hash>(leaves.data(), n));
  };
  // Another client moved the witness to 10 first.
  ASSERT_EQ(witness_
                ->AddCheckpoint(*FormatAddCheckpointRequest(
                    0, {}, Checkpoint(10, {leaves.begin(), leaves.begin() + 10})))
                .status,
            200);
  std::unique_ptr<WitnessSession> session = Session();
  const std::string note = Checkpoint(25, {leaves.begin(), leaves.begin() + 25});
  ASSERT_OK_AND_ASSIGN(std::string lines, session->Cosign(note, proofs));
  EXPECT_OK(VerifyCosignature(note + lines, witness_->verifier()));
  ASSERT_EQ(bodies_.size(), 2u);
  EXPECT_TRUE(bodies_[0].starts_with("old 0\n\n"));
  EXPECT_TRUE(bodies_[1].starts_with("old 10\n"));
  EXPECT_EQ(session->known_size(), 25u);

  // A 409 again on the retry: Aborted.
  script_ = {WitnessConflictResponse(30, "moved"), WitnessConflictResponse(35, "moved again")};
  EXPECT_THAT(session->Cosign(Checkpoint(40, leaves), proofs),
              StatusIs(absl::StatusCode::kAborted));
  // The witness has a larger tree than this checkpoint: refused without a proof.
  script_ = {WitnessConflictResponse(39, "larger")};
  absl::StatusOr<std::string> smaller =
      session->Cosign(Checkpoint(38, {leaves.begin(), leaves.begin() + 38}), proofs);
  EXPECT_THAT(smaller, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(smaller.status().message()), HasSubstr("larger than this checkpoint's"));
}

TEST_F(WitnessSessionTest, RefusalsAndBadAnswersAreErrorsNamingTheWitness) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 8; ++i) leaves.push_back(LeafHash(EntryFor(i)));
  auto proofs = [&](uint64_t m, uint64_t n) -> absl::StatusOr<std::vector<Hash>> {
    return ConsistencyProof(m, std::span<const Hash>(leaves.data(), n));
  };
  const std::string note = Checkpoint(8, leaves);
  std::unique_ptr<WitnessSession> session = Session();
  const std::vector<std::pair<absl::StatusOr<AddCheckpointResponse>, absl::StatusCode>> cases = {
      {WitnessErrorResponse(400, "bad"), absl::StatusCode::kInvalidArgument},
      {WitnessErrorResponse(403, "untrusted"), absl::StatusCode::kPermissionDenied},
      {WitnessErrorResponse(404, "unknown"), absl::StatusCode::kNotFound},
      {WitnessErrorResponse(422, "fork"), absl::StatusCode::kFailedPrecondition},
      {WitnessErrorResponse(503, "busy"), absl::StatusCode::kUnavailable},
      {WitnessErrorResponse(302, "elsewhere"), absl::StatusCode::kUnknown},
      {absl::UnavailableError("connection refused"), absl::StatusCode::kUnavailable},
      {AddCheckpointResponse{200, "garbage\n", "text/plain", ""},
       absl::StatusCode::kUnauthenticated},
      {AddCheckpointResponse{409, "ten\n", "text/x.tlog.size", ""}, absl::StatusCode::kUnknown},
  };
  for (const auto& [answer, code] : cases) {
    script_ = {answer};
    absl::StatusOr<std::string> r = session->Cosign(note, proofs);
    EXPECT_THAT(r, StatusIs(code)) << (answer.ok() ? answer->status : 0);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("w1 (scripted)"));
  }
  EXPECT_EQ(session->known_size(), 0u);
  EXPECT_THAT(session->Cosign("not a checkpoint", proofs),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // A proof that cannot be computed is the proof function's error, and nothing is sent.
  ASSERT_OK(session->Cosign(Checkpoint(4, {leaves.begin(), leaves.begin() + 4}), proofs).status());
  bodies_.clear();
  auto no_proofs = [](uint64_t, uint64_t) -> absl::StatusOr<std::vector<Hash>> {
    return absl::InternalError("test: tiles gone");
  };
  EXPECT_THAT(session->Cosign(note, no_proofs), StatusIs(absl::StatusCode::kInternal));
  EXPECT_TRUE(bodies_.empty());
}

}  // namespace
}  // namespace domicile::tlog
