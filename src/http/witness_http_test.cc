// The witness over HTTP: WitnessRoutes behind an http::Server on port 0 answers add-checkpoint
// with the spec's statuses and content types at both prefixes and serves the latest cosigned
// checkpoint; WitnessClient gets cosignatures through it, learning the witness's size from 409s.
#include <memory>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/client.h"
#include "http/server.h"
#include "http/witness_client.h"
#include "http/witness_routes.h"
#include "store/rocksdb_store.h"
#include "tlog/add_checkpoint.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/witness.h"
#include "util/encoding.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::http {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::string_view kOrigin = "example.com/domicile/witnessed";

// "/a/b" -> {"a", "b"} (test paths need no decoding).
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    path.remove_prefix(1);
    const size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

class WitnessHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 50; ++i) {
      leaves_.push_back(tlog::LeafHash(AsBytes(fmt::format("entry {}", i))));
    }
    const crypto::Ed25519PublicKey log_pub = *crypto::Ed25519PublicFromSeed(log_seed_);
    const crypto::Ed25519PublicKey pub = *crypto::Ed25519PublicFromSeed(witness_seed_);
    ASSERT_OK_AND_ASSIGN(store_, store::OpenRocksDbStore(dir_ / "witness"));
    ASSERT_OK_AND_ASSIGN(
        witness_,
        tlog::Witness::Create(
            "witness.example/w1", pub,
            [this](ByteView m) -> absl::StatusOr<Bytes> {
              ASSIGN_OR_RETURN(crypto::Ed25519Signature s, crypto::Ed25519Sign(witness_seed_, m));
              return Bytes(s.begin(), s.end());
            },
            {{std::string(kOrigin), tlog::NoteKeyId(kOrigin, log_pub), log_pub}}, store_.get(),
            &clock_));
    routes_ = std::make_unique<WitnessRoutes>(witness_.get());
    ServerOptions options;
    options.threads = 1;
    ASSERT_OK_AND_ASSIGN(server_,
                         Server::Start(options, MakeAsync([this](const Request& r) -> Response {
                                         const std::vector<std::string> seg = Segments(r.path);
                                         if (!WitnessRoutes::Matches(seg))
                                           return Response{404, "", {}, ""};
                                         return routes_->Handle(r, seg);
                                       })));
    url_ = fmt::format("http://127.0.0.1:{}", server_->port());
    ASSERT_OK_AND_ASSIGN(client_, Client::Create(url_));
  }

  std::string Checkpoint(uint64_t size) const {
    const std::string text = tlog::FormatCheckpoint(
        {std::string(kOrigin), size, tlog::RootFromLeafHashes({leaves_.data(), size}), {}});
    return *tlog::SignNote(text, kOrigin, log_seed_);
  }
  std::string Body(uint64_t old_size, uint64_t size) const {
    return *tlog::FormatAddCheckpointRequest(
        old_size, tlog::ConsistencyProof(old_size, {leaves_.data(), size}), Checkpoint(size));
  }
  ClientResponse Post(std::string_view path, const std::string& body) {
    absl::StatusOr<ClientResponse> r = client_->Do("POST", path, {}, body);
    EXPECT_OK(r);
    return r.ok() ? *r : ClientResponse{};
  }
  tlog::ConsistencyProofFn Proofs() const {
    return [this](uint64_t m, uint64_t n) -> absl::StatusOr<std::vector<tlog::Hash>> {
      return tlog::ConsistencyProof(m, {leaves_.data(), n});
    };
  }

  domicile::testing::TempDir dir_;
  FakeClock clock_;
  const Bytes log_seed_ = Bytes(32, 0x22);
  const Bytes witness_seed_ = Bytes(32, 0x11);
  std::vector<tlog::Hash> leaves_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<tlog::Witness> witness_;
  std::unique_ptr<WitnessRoutes> routes_;
  std::unique_ptr<Server> server_;
  std::string url_;
  std::unique_ptr<Client> client_;
};

TEST_F(WitnessHttpTest, AnswersAddCheckpointAsTheSpecSaysAtBothPrefixes) {
  ClientResponse ok = Post("/add-checkpoint", Body(0, 10));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.GetHeader("Content-Type").value_or(""), "text/plain; charset=utf-8");
  EXPECT_OK(tlog::VerifyCosignature(Checkpoint(10) + ok.body, witness_->verifier()));

  ClientResponse below = Post("/witness/add-checkpoint", Body(10, 20));
  ASSERT_EQ(below.status, 200) << below.body;
  EXPECT_OK(tlog::VerifyCosignature(Checkpoint(20) + below.body, witness_->verifier()));

  ClientResponse conflict = Post("/add-checkpoint", Body(0, 30));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body, "20\n");
  EXPECT_EQ(conflict.GetHeader("Content-Type").value_or(""), "text/x.tlog.size");

  EXPECT_EQ(Post("/add-checkpoint", "old 1\n").status, 400);
  EXPECT_EQ(
      Post("/add-checkpoint", *tlog::FormatAddCheckpointRequest(30, {}, Checkpoint(20))).status,
      400);
  std::vector<tlog::Hash> bad = tlog::ConsistencyProof(20, {leaves_.data(), 30});
  bad[0][0] ^= 1;
  ClientResponse unprocessable =
      Post("/witness/add-checkpoint", *tlog::FormatAddCheckpointRequest(20, bad, Checkpoint(30)));
  EXPECT_EQ(unprocessable.status, 422);
  EXPECT_THAT(unprocessable.body, HasSubstr("does not verify"));
  const std::string stranger = *tlog::SignNote(
      tlog::FormatCheckpoint({"example.com/stranger", 1, tlog::LeafHash(Bytes{1}), {}}),
      "example.com/stranger", log_seed_);
  EXPECT_EQ(Post("/add-checkpoint", "old 0\n\n" + stranger).status, 404);
  const std::string forged =
      *tlog::SignNote(tlog::ParseNote(Checkpoint(30))->text, kOrigin, Bytes(32, 0x99));
  EXPECT_EQ(Post("/add-checkpoint", "old 20\n\n" + forged).status, 403);

  ASSERT_OK_AND_ASSIGN(ClientResponse get, client_->Do("GET", "/add-checkpoint"));
  EXPECT_EQ(get.status, 405);
  ASSERT_OK_AND_ASSIGN(ClientResponse query, client_->Do("POST", "/add-checkpoint?x=1", {}, "x"));
  EXPECT_EQ(query.status, 400);
}

TEST_F(WitnessHttpTest, ServesTheLatestCosignedCheckpointToMonitors) {
  const std::string hash = HexEncode(crypto::Sha256(AsBytes(kOrigin)));
  ASSERT_OK_AND_ASSIGN(ClientResponse none, client_->Do("GET", "/" + hash + "/checkpoint"));
  EXPECT_EQ(none.status, 404);
  ASSERT_EQ(Post("/add-checkpoint", Body(0, 7)).status, 200);
  for (const std::string& path : {"/" + hash + "/checkpoint", "/witness/" + hash + "/checkpoint"}) {
    ASSERT_OK_AND_ASSIGN(ClientResponse r, client_->Do("GET", path));
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(tlog::ParseCheckpoint(tlog::ParseNote(r.body)->text)->size, 7u);
    EXPECT_OK(tlog::VerifyCosignature(r.body, witness_->verifier()));
  }
  ASSERT_OK_AND_ASSIGN(ClientResponse other,
                       client_->Do("GET", "/" + std::string(64, 'a') + "/checkpoint"));
  EXPECT_EQ(other.status, 404);
  EXPECT_FALSE(WitnessRoutes::Matches(Segments("/" + std::string(64, 'A') + "/checkpoint")));
  EXPECT_FALSE(WitnessRoutes::Matches(Segments("/witness")));
  EXPECT_FALSE(WitnessRoutes::Matches(Segments("/log/add-checkpoint")));
}

TEST_F(WitnessHttpTest, TheClientGetsCosignaturesAndLearnsTheWitnesssSize) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WitnessClient> a,
                       WitnessClient::Create(url_ + "/witness/", witness_->verifier()));
  ASSERT_OK_AND_ASSIGN(std::string lines, a->Cosign(Checkpoint(12), Proofs()));
  EXPECT_OK(tlog::VerifyCosignature(Checkpoint(12) + lines, witness_->verifier()));
  EXPECT_EQ(a->known_size(), 12u);
  ASSERT_OK(a->Cosign(Checkpoint(30), Proofs()).status());

  // A second client (a restarted log) starts from 0, learns 30 from the 409 and goes on.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WitnessClient> b,
                       WitnessClient::Create(url_, witness_->verifier()));
  ASSERT_OK_AND_ASSIGN(std::string more, b->Cosign(Checkpoint(45), Proofs()));
  EXPECT_OK(tlog::VerifyCosignature(Checkpoint(45) + more, witness_->verifier()));
  EXPECT_EQ(b->known_size(), 45u);

  // Refusals name the witness; a rollback cannot be cosigned.
  absl::StatusOr<std::string> older = a->Cosign(Checkpoint(40), Proofs());
  EXPECT_THAT(older, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(older.status().message()), HasSubstr("witness.example/w1 at http://"));

  // The client checks the cosignature against the key it was given.
  ASSERT_OK_AND_ASSIGN(tlog::CosignerVerifier wrong,
                       tlog::MakeCosignerVerifier("witness.example/w1", Bytes(32, 0x01)));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WitnessClient> c, WitnessClient::Create(url_, wrong));
  EXPECT_THAT(c->Cosign(Checkpoint(50), Proofs()), StatusIs(absl::StatusCode::kUnauthenticated));

  server_->Stop();
  EXPECT_THAT(b->Cosign(Checkpoint(50), Proofs()), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(WitnessClientTest, RefusesOtherUrls) {
  const tlog::CosignerVerifier v = *tlog::MakeCosignerVerifier("w", Bytes(32, 0x01));
  for (std::string_view url :
       {"", "witness.example", "ftp://witness.example", "http://h/w?x=1", "http://h/w#f"}) {
    EXPECT_THAT(WitnessClient::Create(url, v), StatusIs(absl::StatusCode::kInvalidArgument)) << url;
  }
  EXPECT_OK(WitnessClient::Create("https://witness.example", v));
}

}  // namespace
}  // namespace domicile::http
