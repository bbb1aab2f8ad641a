// The log survives kill -9 under load: 100 times, concurrent clients write and read while the
// node is killed at a random moment and restarted. After every restart, every log index ever
// returned to a client holds the event the client was answered for, every entry seen before is
// unchanged byte for byte, every checkpoint ever published is consistent with the new tree, and
// (every tenth round and at the end) the auditor accepts the log, incrementally.
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "e2e_fixture.h"
#include "fmt/format.h"
#include "log_mirror.h"
#include "nlohmann/json.hpp"
#include "tlog/entry_bundle.h"
#include "tlog/merkle.h"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::testing {
namespace {

constexpr int kRounds = 100;
constexpr int kClients = 4;

// What a client was told, to be found in the log at `index`.
struct Ack {
  uint64_t index = 0;
  std::string action;  // "write" or "read"
  std::string subject;
  uint64_t version = 0;
};

class LogCrashTest : public NodeTest {
 protected:
  void SetUp() override {
    config_ = (dir_ / "domicile.toml").string();
    std::ofstream(config_) << ExampleConfigText() << "\n[log]\ncheckpoint_interval = \"20ms\"\n";
    ASSERT_NO_FATAL_FAILURE(StartNode());
    std::string body = Call("", "GET", "/v1/log/key").body;
    while (!body.empty() && body.back() == '\n') body.pop_back();
    absl::StatusOr<tlog::NoteVerifier> key = tlog::ParseNoteVerifier(body);
    ASSERT_TRUE(key.ok()) << key.status();
    verifier_ = *key;
    vkey_ = body;
  }

  // Clients hammer the node until it dies; returns what they were told.
  std::vector<Ack> LoadUntilKilled(std::mt19937& rng) {
    std::mutex mu;
    std::vector<Ack> acks;
    std::atomic<bool> dead{false};
    std::vector<std::thread> clients;
    const std::string url = node_->url();
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        auto client = http::Client::Create(url);
        if (!client.ok()) return;
        const std::string subject = fmt::format("w{}", c);
        const std::string target = fmt::format("/v1/subjects/{}/records/r", subject);
        for (uint64_t n = 0; !dead; ++n) {
          const bool write = n % 2 == 0;
          auto r = write
                       ? (*client)->Do("PUT", target, {{"Authorization", "Bearer svc-app-token"}},
                                       fmt::format("value {}", n))
                       : (*client)->Do("GET", target, {{"Authorization", "Bearer svc-app-token"}});
          if (!r.ok() || r->status >= 500) return;  // the node died (or is dying)
          auto index = r->GetHeader("Domicile-Log-Index");
          if (!index.has_value()) return;
          Ack ack{std::stoull(std::string(*index)), write ? "write" : "read", subject, 0};
          if (write) {
            ack.version = nlohmann::json::parse(r->body)["version"].get<uint64_t>();
          } else {
            ack.version = std::stoull(std::string(r->GetHeader("Domicile-Version").value_or("0")));
          }
          std::lock_guard lock(mu);
          acks.push_back(ack);
        }
      });
    }
    // Checkpoints published while the clients run.
    std::thread watcher([&] {
      LogMirror mirror(url);
      while (!dead) {
        absl::StatusOr<tlog::Checkpoint> c = mirror.Checkpoint(verifier_);
        if (c.ok()) {
          std::lock_guard lock(mu);
          checkpoints_.emplace(c->size, c->root);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 250)(rng)));
    node_->Kill();
    dead = true;
    for (auto& t : clients) t.join();
    watcher.join();
    return acks;
  }

  // Every entry of the integrated tree of `size`, from its entry bundles.
  std::vector<std::string> ReadAllEntries(uint64_t size) {
    std::vector<std::string> out;
    for (uint64_t n = 0; n * tlog::kTileWidth < size; ++n) {
      uint64_t width = std::min<uint64_t>(tlog::kTileWidth, size - n * tlog::kTileWidth);
      auto r = Call("", "GET",
                    "/log/" + tlog::EntriesPath(
                                  n, width == tlog::kTileWidth ? 0 : static_cast<uint8_t>(width)));
      EXPECT_EQ(r.status, 200) << "bundle " << n;
      absl::StatusOr<std::vector<Bytes>> entries = tlog::ParseEntryBundle(AsBytes(r.body));
      EXPECT_TRUE(entries.ok()) << entries.status();
      if (!entries.ok()) break;
      for (const Bytes& e : *entries) out.push_back(ToString(e));
    }
    return out;
  }

  void CheckConsistent(uint64_t old_size, const tlog::Hash& old_root, const tlog::Checkpoint& now) {
    auto r =
        Call("", "GET", fmt::format("/v1/log/proof/consistency?old={}&new={}", old_size, now.size));
    ASSERT_EQ(r.status, 200) << r.body;
    std::vector<tlog::Hash> proof;
    const nlohmann::json body = nlohmann::json::parse(r.body);
    for (const auto& h : body["hashes"]) {
      std::optional<Bytes> b = Base64Decode(h.get<std::string>());
      ASSERT_TRUE(b.has_value() && b->size() == 32);
      tlog::Hash hash;
      std::copy(b->begin(), b->end(), hash.begin());
      proof.push_back(hash);
    }
    EXPECT_TRUE(tlog::VerifyConsistency(old_size, now.size, proof, old_root, now.root))
        << "checkpoint of size " << old_size << " is not consistent with size " << now.size;
  }

  tlog::NoteVerifier verifier_;
  std::string vkey_;
  std::map<uint64_t, tlog::Hash> checkpoints_;  // every checkpoint seen: size -> root
};

TEST_F(LogCrashTest, HundredKillsLoseNoIndexAndForkNothing) {
  for (int c = 0; c < kClients; ++c) {
    ASSERT_EQ(Call("svc-app-token", "POST", "/v1/subjects",
                   fmt::format(R"({{"id":"w{}","jurisdiction":"US"}})", c))
                  .status,
              201);
  }
  std::mt19937 rng(20261122);
  std::vector<Ack> acks;
  std::vector<std::string> seen;  // every entry read so far, by index
  const std::string state = (dir_ / "audit-state").string();
  uint64_t total_acks = 0;
  for (int round = 1; round <= kRounds; ++round) {
    std::vector<Ack> told = LoadUntilKilled(rng);
    total_acks += told.size();
    acks.insert(acks.end(), told.begin(), told.end());
    ASSERT_NO_FATAL_FAILURE(StartNode());

    uint64_t needed = seen.size();
    for (const Ack& a : acks) needed = std::max(needed, a.index + 1);
    LogMirror mirror(node_->url());
    ASSERT_OK_AND_ASSIGN(uint64_t size, mirror.WaitForSize(verifier_, needed));
    ASSERT_OK_AND_ASSIGN(tlog::Checkpoint now, mirror.Checkpoint(verifier_));
    std::vector<std::string> entries = ReadAllEntries(now.size);
    ASSERT_EQ(entries.size(), now.size);
    ASSERT_GE(size, needed);

    for (size_t i = 0; i < seen.size(); ++i) {
      ASSERT_EQ(entries[i], seen[i]) << "round " << round << ": entry " << i << " changed";
    }
    for (const Ack& a : acks) {
      nlohmann::json e = nlohmann::json::parse(entries[a.index], nullptr, false);
      ASSERT_FALSE(e.is_discarded()) << "round " << round << ": entry " << a.index;
      EXPECT_EQ(e["kind"], "access") << a.index;
      EXPECT_EQ(e["action"], a.action) << a.index;
      EXPECT_EQ(e["decision"], "allow") << a.index;
      EXPECT_EQ(e["resource"]["subject"], a.subject) << a.index;
      if (a.action == "write") {
        EXPECT_EQ(e["effect"]["version"], a.version) << a.index;
      }
    }
    for (const auto& [old_size, old_root] : checkpoints_) {
      ASSERT_NO_FATAL_FAILURE(CheckConsistent(old_size, old_root, now));
    }
    // Consistency is transitive: keep only the newest as the anchor for the next round.
    checkpoints_.clear();
    checkpoints_.emplace(now.size, now.root);
    seen = std::move(entries);
    acks.clear();

    if (round % 10 == 0 || round == kRounds) {
      CommandResult audit =
          RunCommand({"audit", "verify", "--url", node_->url(), "--key", vkey_, "--state", state});
      ASSERT_EQ(audit.exit_code, 0) << "round " << round << ": " << audit.out << audit.err;
    }
  }
  // The load really ran: clients were answered in (nearly) every round.
  EXPECT_GT(total_acks, uint64_t{kRounds});
  RecordProperty("entries", static_cast<int>(seen.size()));
}

}  // namespace
}  // namespace domicile::testing
