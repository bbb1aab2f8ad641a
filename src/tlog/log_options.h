// The knobs of a durable transparency log (see log.h) and the signing hook the node provides.
// Kept apart from log.h so the log's parts (appender, integrator) can share them.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace domicile::tlog {

// Signs a checkpoint note text (ends in '\n') and returns the whole signed note. Provided by the
// node (the key lives in a key provider). May be called from the log's integrator thread, or
// from a thread calling Log::Flush or Log::Close; never concurrently with itself.
using CheckpointSigner = std::function<absl::StatusOr<std::string>(std::string_view note_text)>;

struct LogOptions {
  // The checkpoint's origin line (= the signing key's name).
  std::string origin;
  // Publish a checkpoint at most this often, and only when the tree grew.
  std::chrono::milliseconds checkpoint_interval{1000};
  // Appends queued but not yet durable; beyond this, Append refuses with Unavailable.
  size_t max_pending = 65536;
  // Entries per durable write (one synced KvStore write per group of at most this many).
  size_t max_batch = 8192;
  // How often the integrator folds newly durable entries into the tree. Each round is one
  // synced write of the tiles it changed, so this trades integration latency for write volume.
  std::chrono::milliseconds integration_interval{100};
};

}  // namespace domicile::tlog
