// The witness of tlog-witness add-checkpoint: every answer the spec requires, rollbacks and
// forks refused, the state durable across a reopened store, and check-and-store atomic under
// concurrent requests.
#include "tlog/witness.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ed25519.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/rocksdb_store.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "util/encoding.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::tlog {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kOrigin = "example.com/domicile/witnessed";
constexpr std::string_view kWitnessName = "witness.example/w1";

// A failing store, for the witness's own failures.
class BrokenStore : public store::KvStore {
 public:
  absl::StatusOr<std::string> Get(std::string_view) const override {
    return absl::NotFoundError("empty");
  }
  absl::Status Put(std::string_view, std::string_view) override {
    return absl::UnavailableError("test: disk away");
  }
  absl::Status Delete(std::string_view) override { return absl::OkStatus(); }
  absl::Status Write(const store::WriteBatch&) override { return absl::OkStatus(); }
  absl::Status Scan(std::string_view, const store::ScanFn&) const override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<store::Snapshot>> GetSnapshot() const override {
    return absl::UnimplementedError("test");
  }
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 64; ++i) leaves_.push_back(LeafHash(AsBytes("entry " + std::to_string(i))));
    log_pub_ = *crypto::Ed25519PublicFromSeed(log_seed_);
    log_key_ = NoteVerifier{std::string(kOrigin), NoteKeyId(kOrigin, log_pub_), log_pub_};
    ASSERT_NO_FATAL_FAILURE(Open());
  }

  void Open() {
    witness_.reset();
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, store::OpenRocksDbStore(dir_ / "witness"));
    ASSERT_OK_AND_ASSIGN(witness_, MakeWitness(store_.get()));
  }

  absl::StatusOr<std::unique_ptr<Witness>> MakeWitness(store::KvStore* store) {
    const crypto::Ed25519PublicKey pub = *crypto::Ed25519PublicFromSeed(witness_seed_);
    return Witness::Create(
        std::string(kWitnessName), pub,
        [this](ByteView message) -> absl::StatusOr<Bytes> {
          if (fail_signing_) return absl::UnavailableError("test: key provider away");
          ASSIGN_OR_RETURN(crypto::Ed25519Signature sig,
                           crypto::Ed25519Sign(witness_seed_, message));
          return Bytes(sig.begin(), sig.end());
        },
        {log_key_}, store, &clock_);
  }

  std::string Text(uint64_t size, std::string_view origin = kOrigin) const {
    return FormatCheckpoint(
        {std::string(origin), size, RootFromLeafHashes({leaves_.data(), size}), {}});
  }
  // The checkpoint of the first `size` leaves, signed by the log.
  std::string Checkpoint(uint64_t size) const { return *SignNote(Text(size), kOrigin, log_seed_); }
  std::vector<Hash> Proof(uint64_t old_size, uint64_t size) const {
    return ConsistencyProof(old_size, {leaves_.data(), size});
  }
  std::string Body(uint64_t old_size, uint64_t size) const {
    return Request(old_size, Proof(old_size, size), Checkpoint(size));
  }
  static std::string Request(uint64_t old_size, const std::vector<Hash>& proof,
                             const std::string& note) {
    return *FormatAddCheckpointRequest(old_size, proof, note);
  }

  CosignerVerifier WitnessKey() const { return witness_->verifier(); }

  // Submits and expects a 200 whose cosignature verifies on the checkpoint at the clock's time.
  void ExpectCosigned(uint64_t old_size, uint64_t size) {
    const AddCheckpointResponse r = witness_->AddCheckpoint(Body(old_size, size));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
    ASSERT_OK_AND_ASSIGN(uint64_t when, VerifyCosignature(Checkpoint(size) + r.body, WitnessKey()));
    EXPECT_EQ(when, static_cast<uint64_t>(clock_.NowUnixSeconds()));
  }
  void ExpectAnswer(const std::string& body, int status, std::string_view message_part) {
    const AddCheckpointResponse r = witness_->AddCheckpoint(body);
    EXPECT_EQ(r.status, status) << r.message;
    EXPECT_THAT(r.message, HasSubstr(message_part));
    if (status != 409) {
      EXPECT_EQ(r.body, r.message + "\n");
    }
  }
  void ExpectConflict(uint64_t old_size, uint64_t size, uint64_t witness_size) {
    const AddCheckpointResponse r = witness_->AddCheckpoint(Body(old_size, size));
    EXPECT_EQ(r.status, 409) << r.message;
    EXPECT_EQ(r.body, std::to_string(witness_size) + "\n");
    EXPECT_EQ(r.content_type, "text/x.tlog.size");
  }

  testing::TempDir dir_;
  FakeClock clock_;
  const Bytes log_seed_ = Bytes(32, 0x22);
  const Bytes witness_seed_ = Bytes(32, 0x11);
  crypto::Ed25519PublicKey log_pub_{};
  NoteVerifier log_key_;
  std::vector<Hash> leaves_;
  std::atomic<bool> fail_signing_{false};
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<Witness> witness_;
};

TEST_F(WitnessTest, CosignsAGrowingLogAndKeepsTheLatestCheckpoint) {
  EXPECT_THAT(witness_->LatestCheckpoint(kOrigin),
              ::domicile::testing::StatusIs(absl::StatusCode::kNotFound));
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 5));
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(5, 13));
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(13, 13));  // the same tree again: cosigned again
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(13, 64));

  // What monitors get: the log's signature and the witness's cosignature on the same text.
  ASSERT_OK_AND_ASSIGN(std::string latest, witness_->LatestCheckpoint(kOrigin));
  ASSERT_OK_AND_ASSIGN(tlog::Checkpoint cp, OpenCheckpoint(latest, log_key_));
  EXPECT_EQ(cp.size, 64u);
  EXPECT_OK(VerifyCosignature(latest, WitnessKey()));
  EXPECT_EQ(witness_->Origins(), std::vector<std::string>{std::string(kOrigin)});
}

TEST_F(WitnessTest, AnOldSizeThatIsNotTheWitnesssGetsItsSize) {
  ExpectConflict(3, 5, 0);  // never cosigned: its size is 0
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 10));
  ExpectConflict(0, 20, 10);  // a client that knows nothing asks with 0 and learns 10
  ExpectConflict(5, 20, 10);
  ExpectConflict(11, 20, 10);
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(10, 20));
}

TEST_F(WitnessTest, RefusesRollbacksAndForks) {
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 10));
  // Rolling back: an old size past the checkpoint is a bad request; a truthful old size a
  // conflict. Either way nothing smaller than 10 is ever cosigned.
  ExpectAnswer(Request(10, {}, Checkpoint(5)), 400, "larger than the checkpoint's size 5");
  ExpectConflict(5, 5, 10);

  // A fork at the same size: another tree of 10 leaves.
  std::vector<Hash> forked = leaves_;
  forked[3] = LeafHash(AsBytes("rewritten"));
  const std::string fork_text =
      FormatCheckpoint({std::string(kOrigin), 10, RootFromLeafHashes({forked.data(), 10}), {}});
  const std::string fork_note = *SignNote(fork_text, kOrigin, log_seed_);
  ExpectAnswer(Request(10, {}, fork_note), 422, "fork: the checkpoint of size 10 has root");

  // A bigger tree that does not extend the cosigned one: its own proof does not verify.
  const std::string bigger_text =
      FormatCheckpoint({std::string(kOrigin), 20, RootFromLeafHashes({forked.data(), 20}), {}});
  ExpectAnswer(Request(10, ConsistencyProof(10, {forked.data(), 20}),
                       *SignNote(bigger_text, kOrigin, log_seed_)),
               422, "consistency proof from size 10");
  // Nor does an honest tree with a wrong proof.
  std::vector<Hash> wrong = Proof(10, 20);
  wrong[0][0] ^= 1;
  ExpectAnswer(Request(10, wrong, Checkpoint(20)), 422, "does not verify");
  ExpectAnswer(Request(10, {}, Checkpoint(20)), 422, "does not verify");
  // The state did not move.
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(10, 20));
}

TEST_F(WitnessTest, SizeZeroAndProofsFromZero) {
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 0));  // the empty tree, with the empty root
  const std::string bad_empty =
      FormatCheckpoint({std::string(kOrigin), 0, LeafHash(AsBytes("x")), {}});
  ExpectAnswer(Request(0, {}, *SignNote(bad_empty, kOrigin, log_seed_)), 422, "size 0");
  ExpectAnswer(Request(0, Proof(3, 8), Checkpoint(8)), 422, "from size 0 must be empty");
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 8));
}

TEST_F(WitnessTest, OnlyTrustedLogSignaturesCount) {
  // Unknown origin: 404, whatever the signatures.
  const std::string other_text = Text(5, "example.com/other-log");
  ExpectAnswer(Request(0, {}, *SignNote(other_text, "example.com/other-log", log_seed_)), 404,
               "unknown log origin");
  // The right origin signed by another key (same name): no trusted signature.
  ExpectAnswer(Request(0, {}, *SignNote(Text(5), kOrigin, Bytes(32, 0x66))), 403,
               "no signature by a trusted key");
  // A witness's cosignature alone is not the log's signature.
  const std::string cosigned_only =
      Text(5) + "\n" + *MakeCosignatureWithSeed(Text(5), kOrigin, log_seed_, 1);
  ExpectAnswer(Request(0, {}, cosigned_only), 403, "no signature by a trusted key");
  // A trusted key's signature that fails: 403, even beside a good one.
  std::string tampered = Checkpoint(5);
  tampered[tampered.find("\n5\n") + 1] = '6';
  ExpectAnswer(Request(0, {}, tampered), 403, "does not verify");
  const std::string good = Checkpoint(5);
  const std::string bad_sig_line = *SignNote(Text(6), kOrigin, log_seed_);
  ExpectAnswer(Request(0, {}, good + bad_sig_line.substr(bad_sig_line.find("\xE2\x80\x94"))), 403,
               "does not verify");
  // Unknown keys' signatures beside the log's are ignored.
  const std::string with_unknown = good + "\xE2\x80\x94 someone.example/k AAAAAQID\n";
  EXPECT_EQ(witness_->AddCheckpoint(Request(0, {}, with_unknown)).status, 200);
}

TEST_F(WitnessTest, MalformedRequestsAreBadRequests) {
  ExpectAnswer("", 400, "no old size line");
  ExpectAnswer("old 01\n\n" + Checkpoint(5), 400, "leading zeroes");
  ExpectAnswer("old 0\n" + Checkpoint(5), 400, "");  // no empty line after the old size
  ExpectAnswer("old 0\n\nnot a note\n", 400, "malformed signed note");
  const std::string not_checkpoint = *SignNote("just text\n", kOrigin, log_seed_);
  ExpectAnswer("old 0\n\n" + not_checkpoint, 400, "malformed checkpoint");
}

TEST_F(WitnessTest, TheStateSurvivesAReopenedStore) {
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 10));
  ASSERT_NO_FATAL_FAILURE(Open());
  ExpectConflict(0, 20, 10);
  ExpectConflict(5, 5, 10);  // no rollback after a restart either
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(10, 20));
  ASSERT_NO_FATAL_FAILURE(Open());
  ExpectConflict(10, 30, 20);
  ASSERT_OK_AND_ASSIGN(std::string latest, witness_->LatestCheckpoint(kOrigin));
  EXPECT_EQ(ParseCheckpoint(ParseNote(latest)->text)->size, 20u);
}

TEST_F(WitnessTest, ItsOwnFailuresCosignNothing) {
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 10));
  fail_signing_ = true;
  ExpectAnswer(Body(10, 20), 503, "signing");  // Unavailable: 503
  fail_signing_ = false;
  ExpectConflict(0, 20, 10);  // not advanced

  BrokenStore broken;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Witness> w, MakeWitness(&broken));
  const AddCheckpointResponse r = w->AddCheckpoint(Body(0, 10));
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.message, HasSubstr("storing its state"));
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("\xE2\x80\x94")));
}

TEST_F(WitnessTest, ConcurrentSubmissionsCannotBothPassOneState) {
  // Eight clients race to move the witness from 0, each to its own size: exactly one wins and
  // the others learn its size.
  ASSERT_NO_FATAL_FAILURE(ExpectCosigned(0, 1));
  std::vector<AddCheckpointResponse> answers(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    const std::string body = Body(1, 2 + i);
    threads.emplace_back([&, i, body] { answers[i] = witness_->AddCheckpoint(body); });
  }
  for (std::thread& t : threads) t.join();
  int winners = 0;
  uint64_t won = 0;
  for (int i = 0; i < 8; ++i) {
    if (answers[i].status == 200) ++winners, won = 2 + i;
  }
  ASSERT_EQ(winners, 1);
  for (const AddCheckpointResponse& a : answers) {
    if (a.status != 200) {
      EXPECT_EQ(a.status, 409);
      EXPECT_EQ(a.body, std::to_string(won) + "\n");
    }
  }
}

TEST_F(WitnessTest, TrustsEveryKeyOfAnOriginAndRefusesBadConfigurations) {
  const Bytes second_seed(32, 0x77);
  const crypto::Ed25519PublicKey second = *crypto::Ed25519PublicFromSeed(second_seed);
  const NoteVerifier second_key{std::string(kOrigin), NoteKeyId(kOrigin, second), second};
  const crypto::Ed25519PublicKey pub = *crypto::Ed25519PublicFromSeed(witness_seed_);
  auto sign = [this](ByteView m) -> absl::StatusOr<Bytes> {
    ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, crypto::Ed25519Sign(witness_seed_, m));
    return Bytes(sig.begin(), sig.end());
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Witness> w,
                       Witness::Create("witness.example/w2", pub, sign, {log_key_, second_key},
                                       store_.get(), &clock_));
  EXPECT_EQ(w->Origins().size(), 1u);
  EXPECT_EQ(w->AddCheckpoint(Request(0, {}, *SignNote(Text(4), kOrigin, second_seed))).status, 200);

  using ::domicile::testing::StatusIs;
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Witness::Create("bad name", pub, sign, {log_key_}, store_.get(), &clock_),
              StatusIs(kInvalid));
  EXPECT_THAT(Witness::Create("w", Bytes(31), sign, {log_key_}, store_.get(), &clock_),
              StatusIs(kInvalid));
  EXPECT_THAT(Witness::Create("w", pub, sign, {}, store_.get(), &clock_), StatusIs(kInvalid));
  EXPECT_THAT(Witness::Create("w", pub, nullptr, {log_key_}, store_.get(), &clock_),
              StatusIs(kInvalid));
  EXPECT_THAT(Witness::Create("w", pub, sign, {log_key_}, nullptr, &clock_), StatusIs(kInvalid));
  EXPECT_THAT(Witness::Create("w", pub, sign, {log_key_}, store_.get(), nullptr),
              StatusIs(kInvalid));
}

}  // namespace
}  // namespace domicile::tlog
