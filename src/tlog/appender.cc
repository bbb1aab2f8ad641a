#include "tlog/appender.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"
#include "tlog/entry_store.h"
#include "tlog/log_layout.h"
#include "util/errors.h"

namespace domicile::tlog {
namespace {

// How long the committer waits for the appenders of its last group to append again.
constexpr auto kGatherTimeout = std::chrono::microseconds(250);

absl::Status Unavailable(std::string_view message) {
  return WithErrorCode(absl::UnavailableError(ToAbsl(message)), error_code::kUnavailable);
}

}  // namespace

Appender::Appender(store::KvStore* store, uint64_t durable_size, size_t max_pending,
                   size_t max_batch, DurableFn on_durable)
    : store_(store),
      max_pending_(max_pending),
      max_batch_(max_batch),
      on_durable_(std::move(on_durable)),
      size_(durable_size),
      next_index_(durable_size),
      committer_([this] { Run(); }) {}

Appender::~Appender() { Close(); }

void Appender::Append(Bytes entry, AppendCallback done) {
  if (entry.empty()) {
    done(absl::InvalidArgumentError("tlog: an entry must not be empty"));
    return;
  }
  if (entry.size() > layout::kMaxEntrySize) {
    done(TooLargeError(fmt::format("tlog: an entry must be at most {} bytes, not {}",
                                   layout::kMaxEntrySize, entry.size())));
    return;
  }
  // Hashed here, on the appender's own thread, so the committer only writes.
  const Hash leaf = LeafHash(entry);
  absl::Status refusal;
  bool notify = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_) {
      refusal = Unavailable("tlog: a durable write failed; the log refuses appends until reopened");
    } else if (closing_) {
      refusal = Unavailable("tlog: the log is closed");
    } else if (outstanding_ >= max_pending_) {
      refusal = Unavailable(
          fmt::format("tlog: {} appends are already waiting to be durable", outstanding_));
    } else {
      queue_.push_back({std::move(entry), leaf, std::move(done)});
      ++outstanding_;
      notify = queue_.size() >= wake_at_;
    }
  }
  if (!refusal.ok()) {
    done(std::move(refusal));
    return;
  }
  if (notify) cv_.notify_one();
}

void Appender::Close() {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_one();
  if (committer_.joinable()) committer_.join();
}

void Appender::Run() {
  std::vector<Pending> group;
  size_t last_group = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_at_ = 1;
      cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything queued is committed
      // The appenders of the last group, just told their indices, tend to append again at once:
      // wait briefly for as many as last time, rather than commit a few of them now and the
      // rest one synced write later.
      if (queue_.size() < last_group && !closing_) {
        wake_at_ = last_group;
        cv_.wait_for(lock, kGatherTimeout, [&] { return queue_.size() >= last_group || closing_; });
      }
      wake_at_ = std::numeric_limits<size_t>::max();  // no need to wake a busy committer
      const size_t n = std::min(queue_.size(), max_batch_);
      group.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      last_group = n;
    }
    Commit(group);
    group.clear();
  }
}

void Appender::Commit(std::vector<Pending>& group) {
  const uint64_t first = next_index_;
  const uint64_t n = group.size();
  absl::Status status;
  {
    std::vector<ByteView> entries;
    entries.reserve(n);
    for (const Pending& p : group) entries.emplace_back(p.entry);
    store::WriteBatch batch;
    PutEntryChunks(first, entries, batch);
    batch.Put(layout::kDurableSizeKey, layout::EncodeSize(first + n));
    status = store_->Write(batch);
  }
  if (status.ok()) {
    std::vector<Hash> leaves;
    leaves.reserve(n);
    for (const Pending& p : group) leaves.push_back(p.leaf);
    on_durable_(first, std::move(leaves));
    next_index_ = first + n;
    size_.store(next_index_, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mu_);
      outstanding_ -= n;
    }
    for (uint64_t i = 0; i < n; ++i) group[i].done(first + i);
    return;
  }

  // The write may or may not have reached the disk: stop appending for good, so no index is
  // ever handed out twice or skipped, and refuse everything waiting.
  spdlog::error("tlog: durable write of entries [{}, {}) failed: {}", first, first + n,
                status.ToString());
  std::deque<Pending> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    failed_ = true;
    rest.swap(queue_);
    outstanding_ = 0;
  }
  const absl::Status refusal = Unavailable(
      fmt::format("tlog: durable write failed ({}); the log refuses appends until reopened",
                  std::string(status.message())));
  for (Pending& p : group) p.done(refusal);
  for (Pending& p : rest) p.done(refusal);
}

}  // namespace domicile::tlog
