// Progress: what a running lifecycle operation reports while it works (read by another thread
// for GET /v1/operations/{id} and the CLI's progress bar), and how it is asked to stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace domicile::ops {

struct Progress {
  // Set once the operation's decision is durable in the log: from then on it has begun.
  std::atomic<bool> started{false};
  std::atomic<const char*> phase{"starting"};  // a static string: "migrating", "restoring", ...
  std::atomic<uint64_t> records{0}, records_total{0};
  std::atomic<uint64_t> bytes{0}, bytes_total{0};
  // The totals are estimates (from the store's statistics), not counts.
  std::atomic<bool> totals_estimated{false};
  // Set by whoever wants the operation to stop; it stops at its next batch boundary, with
  // everything done so far durable, and a later run resumes.
  std::atomic<bool> cancel{false};

  void Phase(const char* name, uint64_t records_total_now, uint64_t bytes_total_now) {
    records.store(0);
    bytes.store(0);
    records_total.store(records_total_now);
    bytes_total.store(bytes_total_now);
    totals_estimated.store(false);
    phase.store(name);
  }
};

}  // namespace domicile::ops
