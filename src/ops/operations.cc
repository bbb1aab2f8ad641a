#include "ops/operations.h"

#include <chrono>

#include "crypto/random.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/errors.h"

namespace domicile::ops {
namespace {

constexpr size_t kKeepFinished = 64;

}  // namespace

struct Operations::Op {
  std::string id, kind, owner;
  Progress progress;
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool done = false;      // guarded by mu
  absl::Status error;     // guarded by mu
  nlohmann::json result;  // guarded by mu
};

Operations::~Operations() {
  std::deque<std::shared_ptr<Op>> ops;
  {
    std::lock_guard lock(mu_);
    ops.swap(ops_);
  }
  for (auto& op : ops) op->progress.cancel.store(true);
  for (auto& op : ops) {
    if (op->thread.joinable()) op->thread.join();
  }
}

absl::StatusOr<nlohmann::json> Operations::Start(std::string kind, std::string owner, Body body) {
  auto op = std::make_shared<Op>();
  absl::StatusOr<Bytes> random = crypto::RandomBytes(8);
  if (!random.ok()) return random.status();
  op->id = fmt::format("{}-{}", kind, HexEncode(*random));
  op->kind = std::move(kind);
  op->owner = std::move(owner);
  {
    std::lock_guard lock(mu_);
    // Forget the oldest finished ones beyond the few kept.
    size_t finished = 0;
    for (const auto& o : ops_) {
      std::lock_guard l(o->mu);
      finished += o->done ? 1 : 0;
    }
    for (auto it = ops_.begin(); it != ops_.end() && finished > kKeepFinished;) {
      bool done;
      {
        std::lock_guard l((*it)->mu);
        done = (*it)->done;
      }
      if (!done) {
        ++it;
        continue;
      }
      if ((*it)->thread.joinable()) (*it)->thread.join();
      it = ops_.erase(it);
      --finished;
    }
    ops_.push_back(op);
  }
  Op* raw = op.get();
  op->thread = std::thread([raw, body = std::move(body)] {
    absl::StatusOr<nlohmann::json> r = body(raw->progress);
    std::lock_guard lock(raw->mu);
    raw->done = true;
    if (r.ok()) {
      raw->result = std::move(*r);
    } else {
      raw->error = r.status();
    }
    raw->cv.notify_all();
  });
  std::unique_lock lock(op->mu);
  while (!op->done && !op->progress.started.load()) {
    op->cv.wait_for(lock, std::chrono::milliseconds(20));
  }
  if (op->done && !op->error.ok() && !op->progress.started.load()) return op->error;
  return Describe(*op);
}

std::shared_ptr<Operations::Op> Operations::Find(std::string_view id,
                                                 std::string_view owner) const {
  std::lock_guard lock(mu_);
  for (const auto& op : ops_) {
    if (op->id == id && op->owner == owner) return op;
  }
  return nullptr;
}

nlohmann::json Operations::Describe(const Op& op) {
  nlohmann::json out = {{"id", op.id},
                        {"kind", op.kind},
                        {"phase", op.progress.phase.load()},
                        {"records", op.progress.records.load()},
                        {"records_total", op.progress.records_total.load()},
                        {"bytes", op.progress.bytes.load()},
                        {"bytes_total", op.progress.bytes_total.load()},
                        {"totals_estimated", op.progress.totals_estimated.load()}};
  if (!op.done) {
    out["state"] = op.progress.cancel.load() ? "stopping" : "running";
  } else if (op.error.ok()) {
    out["state"] = "succeeded";
    out["result"] = op.result;
  } else {
    out["state"] = absl::IsCancelled(op.error) ? "cancelled" : "failed";
    out["error"] = {{"code", ErrorCodeOf(op.error)}, {"message", std::string(op.error.message())}};
  }
  return out;
}

absl::StatusOr<nlohmann::json> Operations::Describe(std::string_view id,
                                                    std::string_view owner) const {
  std::shared_ptr<Op> op = Find(id, owner);
  if (op == nullptr) return absl::NotFoundError(fmt::format("no operation '{}'", id));
  std::lock_guard lock(op->mu);
  return Describe(*op);
}

absl::StatusOr<nlohmann::json> Operations::Cancel(std::string_view id, std::string_view owner) {
  std::shared_ptr<Op> op = Find(id, owner);
  if (op == nullptr) return absl::NotFoundError(fmt::format("no operation '{}'", id));
  op->progress.cancel.store(true);
  std::lock_guard lock(op->mu);
  return Describe(*op);
}

}  // namespace domicile::ops
