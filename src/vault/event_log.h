// EventLog: where the vault writes its events (docs/events.md) before anything they record takes
// effect. The node backs it with the transparency log (tlog::Log); tests use a fake. The narrow
// interface keeps the vault ignorant of Merkle trees and tiles.
//
// Thread safety: Append may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace domicile::vault {

class EventLog {
 public:
  virtual ~EventLog() = default;

  using Done = std::function<void(absl::StatusOr<uint64_t> index)>;
  // Appends one event (canonical JSON). Calls `done` exactly once: with the event's index after
  // it is durable, or with an error (Unavailable when the log cannot take it now; then nothing
  // the event records may happen). Never blocks; `done` may run on another thread, or inline.
  virtual void Append(std::string event, Done done) = 0;

  // Appends and waits for the outcome. Blocks the calling thread.
  absl::StatusOr<uint64_t> AppendAndWait(std::string event);
};

// The index of the log entry that records what this status is about, if any (every response
// to a decided request carries one, errors included).
std::optional<uint64_t> LogIndexOf(const absl::Status& status);
// `status` with `index` attached.
absl::Status WithLogIndex(absl::Status status, uint64_t index);

}  // namespace domicile::vault
