// The fixture of the Log tests (log_test.cc, log_tree_test.cc): a log on RocksDB in a temporary
// directory, a test signer and its verifier, deterministic entries, and a store wrapper that
// makes writes fail or stall on demand.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "gtest/gtest.h"
#include "store/kv_store.h"
#include "store/rocksdb_store.h"
#include "tlog/log.h"
#include "tlog/log_layout.h"
#include "tlog/note.h"
#include "util/clock.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::tlog {

inline constexpr std::string_view kTestOrigin = "example.com/domicile/test-log";

// Lets a test make the log's store fail or stall its writes.
struct StoreControl {
  std::atomic<bool> fail_writes{false};
  std::atomic<bool> fail_tile_writes{false};  // only the integrator's writes
  std::mutex mu;
  std::condition_variable cv;
  bool blocked = false;  // guarded by mu

  void Block() {
    std::lock_guard<std::mutex> lock(mu);
    blocked = true;
  }
  void Unblock() {
    {
      std::lock_guard<std::mutex> lock(mu);
      blocked = false;
    }
    cv.notify_all();
  }
};

// A KvStore that forwards to a real one, except where its StoreControl says otherwise.
class ControlledStore : public store::KvStore {
 public:
  ControlledStore(std::unique_ptr<store::KvStore> inner, std::shared_ptr<StoreControl> control)
      : inner_(std::move(inner)), control_(std::move(control)) {}

  absl::StatusOr<std::string> Get(std::string_view key) const override { return inner_->Get(key); }
  absl::Status Put(std::string_view key, std::string_view value) override {
    return inner_->Put(key, value);
  }
  absl::Status Delete(std::string_view key) override { return inner_->Delete(key); }
  absl::Status Write(const store::WriteBatch& batch) override {
    {
      std::unique_lock<std::mutex> lock(control_->mu);
      control_->cv.wait(lock, [this] { return !control_->blocked; });
    }
    if (control_->fail_writes) return absl::InternalError("test: disk on fire");
    if (control_->fail_tile_writes) {
      for (const store::WriteBatch::Op& op : batch.ops()) {
        if (op.key == layout::kIntegratedSizeKey) return absl::InternalError("test: no tiles");
      }
    }
    return inner_->Write(batch);
  }
  absl::Status Scan(std::string_view prefix, const store::ScanFn& fn) const override {
    return inner_->Scan(prefix, fn);
  }
  absl::StatusOr<std::unique_ptr<store::Snapshot>> GetSnapshot() const override {
    return inner_->GetSnapshot();
  }

 private:
  std::unique_ptr<store::KvStore> inner_;
  std::shared_ptr<StoreControl> control_;
};

inline Bytes EntryFor(uint64_t i) {
  std::string s = "event " + std::to_string(i) + " ";
  s.append(i % 97, static_cast<char>('a' + i % 26));
  return ToBytes(s);
}

inline std::vector<Bytes> Entries(uint64_t begin, uint64_t end) {
  std::vector<Bytes> out;
  for (uint64_t i = begin; i < end; ++i) out.push_back(EntryFor(i));
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(seed_, crypto::RandomBytes(32));
    ASSERT_OK_AND_ASSIGN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(seed_));
    verifier_ = NoteVerifier{std::string(kTestOrigin), NoteKeyId(kTestOrigin, pub), pub};
  }

  LogOptions Options() const {
    LogOptions options;
    options.origin = std::string(kTestOrigin);
    return options;
  }

  CheckpointSigner Signer() {
    return [this](std::string_view text) -> absl::StatusOr<std::string> {
      if (fail_signing_) return absl::UnavailableError("test: key provider away");
      return SignNote(text, kTestOrigin, seed_);
    };
  }

  absl::StatusOr<std::unique_ptr<Log>> OpenLog(LogOptions options,
                                               std::shared_ptr<StoreControl> control = nullptr) {
    absl::StatusOr<std::unique_ptr<store::KvStore>> store = store::OpenRocksDbStore(dir_ / "log");
    if (!store.ok()) return store.status();
    std::unique_ptr<store::KvStore> kv = *std::move(store);
    if (control != nullptr) kv = std::make_unique<ControlledStore>(std::move(kv), control);
    return Log::Open(std::move(kv), std::move(options), Signer(), &clock_);
  }
  absl::StatusOr<std::unique_ptr<Log>> OpenLog() { return OpenLog(Options()); }

  // Appends `entries` without waiting in between (so they are committed in groups), then waits
  // for every outcome; returns the indices in order.
  std::vector<absl::StatusOr<uint64_t>> AppendAll(Log& log, const std::vector<Bytes>& entries) {
    std::vector<absl::StatusOr<uint64_t>> results(entries.size(), absl::UnknownError("pending"));
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      log.Append(entries[i], [&, i](absl::StatusOr<uint64_t> index) {
        std::lock_guard<std::mutex> lock(mu);
        results[i] = std::move(index);
        if (++done == entries.size()) cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == entries.size(); });
    return results;
  }

  // Appends entries EntryFor(DurableSize()) .. EntryFor(size - 1) in groups, expecting success.
  void GrowTo(Log& log, uint64_t size) {
    while (log.DurableSize() < size) {
      const uint64_t begin = log.DurableSize();
      const uint64_t end = std::min(size, begin + 8192);
      const std::vector<absl::StatusOr<uint64_t>> results = AppendAll(log, Entries(begin, end));
      for (uint64_t i = 0; i < results.size(); ++i) {
        ASSERT_THAT(results[i], ::domicile::testing::IsOk());
        ASSERT_EQ(*results[i], begin + i);
      }
    }
  }

  testing::TempDir dir_;
  FakeClock clock_;
  Bytes seed_;
  NoteVerifier verifier_;
  std::atomic<bool> fail_signing_{false};
};

}  // namespace domicile::tlog
