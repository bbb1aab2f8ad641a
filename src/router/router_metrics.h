// The router's counters and their Prometheus text exposition (format 0.0.4) at /metrics:
// requests by jurisdiction, node and status, the share of each jurisdiction's requests that
// nodes of that jurisdiction answered (computed from those counters, so that a request ever
// answered abroad would show), requests refused because none of a jurisdiction's nodes was up,
// failovers, and node health. The names are listed in docs/router.md. Thread-safe; counting
// takes no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "router/node_table.h"

namespace domicile::router {

// Values read at exposition time.
struct RouterGauges {
  size_t directory_subjects = 0;
  size_t directory_grants = 0;
  uint64_t directory_journal_errors = 0;
  std::vector<size_t> open_connections;  // per node
};

class RouterMetrics {
 public:
  // REQUIRES: `nodes` outlives this.
  explicit RouterMetrics(const NodeTable* nodes);
  ~RouterMetrics();

  // A request of jurisdiction `j` (configured) that node `node` answered with `status`.
  void CountAnswer(std::string_view j, size_t node, int status);
  // A request of jurisdiction `j` refused with 503: none of its nodes was up.
  void CountUnroutable(std::string_view j);
  // A request of jurisdiction `j` tried on another of its nodes after one failed.
  void CountFailover(std::string_view j);
  // A request the router answered itself with `status` (4xx: it could not be routed).
  void CountRefused(int status);
  // A directory lookup on a miss: "found", "not_found" or "unavailable".
  void CountLookup(std::string_view result);
  // A subject or grant that a node placed in another jurisdiction than the directory had.
  void CountDirectoryConflict();

  // The exposition text.
  std::string Render(const RouterGauges& gauges) const;

  // Requests of `j` answered by node `node` so far (all statuses).
  uint64_t Answered(std::string_view j, size_t node) const;

 private:
  static constexpr int kMinStatus = 100, kMaxStatus = 599;
  struct StatusCounters {
    std::atomic<uint64_t> by_status[kMaxStatus - kMinStatus + 1] = {};
  };

  size_t JurisdictionIndex(std::string_view j) const;  // jurisdictions().size() if unknown
  // The counters of (jurisdiction index, node), allocated on first use.
  StatusCounters& Counters(size_t j, size_t node);
  const StatusCounters* FindCounters(size_t j, size_t node) const;

  const NodeTable* nodes_;
  const size_t js_;                                          // number of jurisdictions
  std::unique_ptr<std::atomic<StatusCounters*>[]> answers_;  // [j * nodes + node]
  std::unique_ptr<std::atomic<uint64_t>[]> unroutable_;      // [j]
  std::unique_ptr<std::atomic<uint64_t>[]> failovers_;       // [j]
  std::atomic<uint64_t> conflicts_{0};
  mutable std::mutex mu_;  // the rare counters below
  std::map<int, uint64_t> refused_;
  std::map<std::string, uint64_t, std::less<>> lookups_;
};

}  // namespace domicile::router
