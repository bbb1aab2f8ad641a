// Operations: the lifecycle operations that run longer than a request (migrate, shred, backup,
// restore) run here, each on its own thread, while the client follows its progress
// (GET /v1/operations/{id}) and may stop it (DELETE). Starting one waits until its decision is
// durable in the log — so a refusal is the start request's answer — or until it ends.
//
// Only the principal who started an operation sees or stops it. The last few finished ones are
// kept in memory for their results; the log keeps everything.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "ops/progress.h"

namespace domicile::ops {

class Operations {
 public:
  Operations() = default;
  // Asks every running operation to stop and waits for them.
  ~Operations();
  Operations(const Operations&) = delete;
  Operations& operator=(const Operations&) = delete;

  // The work: reports progress, sets progress.started once its decision is logged, stops when
  // progress.cancel is set, and returns its result as JSON.
  using Body = std::function<absl::StatusOr<nlohmann::json>(Progress& progress)>;

  // Starts `body` for principal `owner`. Returns the operation's state (Describe) once it has
  // begun or ended; the operation's own error if it ended before it began (a refusal).
  absl::StatusOr<nlohmann::json> Start(std::string kind, std::string owner, Body body);

  // {"id","kind","state": running|succeeded|failed|cancelled, "phase", "records",
  //  "records_total", "bytes", "bytes_total", "result" or "error": {"code","message"}}.
  // NotFound for an unknown id or one another principal started.
  absl::StatusOr<nlohmann::json> Describe(std::string_view id, std::string_view owner) const;
  // Asks the operation to stop; returns its state.
  absl::StatusOr<nlohmann::json> Cancel(std::string_view id, std::string_view owner);

 private:
  struct Op;
  std::shared_ptr<Op> Find(std::string_view id, std::string_view owner) const;
  static nlohmann::json Describe(const Op& op);

  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Op>> ops_;  // oldest first; guarded by mu_
};

}  // namespace domicile::ops
