// Checks every node with GET /healthz each interval, on a connection of its own: 200 marks it
// up, anything else (or no answer within the timeout) marks it down. Whenever a node comes up
// (at start too) its directory is pulled into the router's, and pulled again at the next
// checks until that succeeds. Rounds never overlap: the next starts one interval after the
// last answer of the previous one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "router/directory_sync.h"
#include "router/node_table.h"
#include "router/upstream.h"

namespace domicile::router {

class HealthChecker {
 public:
  // REQUIRES: the pointers outlive this, and `upstreams` is stopped before this is destroyed.
  HealthChecker(NodeTable* nodes, Upstreams* upstreams, DirectorySync* sync,
                std::chrono::milliseconds interval, std::chrono::milliseconds timeout);

  // Starts the first round now. Call once.
  void Start();

  // Waits until the first round has finished; false on timeout.
  bool AwaitFirstRound(std::chrono::milliseconds timeout);
  // Waits until every node that is up has had its directory pulled since it came up; false on
  // timeout.
  bool AwaitSynced(std::chrono::milliseconds timeout);

 private:
  void Round();
  void OnCheck(size_t node, bool healthy, const std::string& why);
  void StartPull(size_t node);
  bool SyncedLocked() const;

  NodeTable* const nodes_;
  Upstreams* const upstreams_;
  DirectorySync* const sync_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds timeout_;

  std::mutex mu_;
  std::condition_variable cv_;
  int rounds_ = 0;      // finished rounds
  size_t pending_ = 0;  // checks of the current round still unanswered
  std::vector<bool> pulled_, pulling_;
  std::vector<std::string> last_pull_error_;  // logged once, not at every round
};

}  // namespace domicile::router
