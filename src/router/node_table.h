// The nodes behind the router, by jurisdiction, with whether each is up. Requests of a
// jurisdiction go round-robin over its nodes that are up; a node of another jurisdiction is
// never a candidate (there is no call that could return one). Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "router/router_config.h"

namespace domicile::router {

class NodeTable {
 public:
  explicit NodeTable(std::vector<NodeConfig> nodes);

  size_t size() const { return nodes_.size(); }
  const NodeConfig& node(size_t i) const { return nodes_[i]; }
  std::optional<size_t> Find(std::string_view id) const;

  // The configured jurisdictions, sorted.
  const std::vector<std::string>& jurisdictions() const { return jurisdictions_; }
  bool HasJurisdiction(std::string_view j) const;
  // The nodes of jurisdiction `j` in configuration order (empty for an unknown one).
  const std::vector<size_t>& NodesOf(std::string_view j) const;

  bool up(size_t i) const { return up_[i].load(std::memory_order_acquire); }
  // Marks node i up or down; true if that changed its state. Every node starts down until its
  // first health check passes.
  bool SetUp(size_t i, bool up);

  // The next node of `j` to try: up, not in `tried`, chosen round-robin. None when no node of
  // `j` is left.
  std::optional<size_t> Pick(std::string_view j, const std::vector<size_t>& tried);

 private:
  struct Group {
    std::vector<size_t> nodes;
    std::unique_ptr<std::atomic<uint64_t>> next = std::make_unique<std::atomic<uint64_t>>(0);
  };
  const std::vector<NodeConfig> nodes_;
  std::unique_ptr<std::atomic<bool>[]> up_;
  std::map<std::string, Group, std::less<>> groups_;
  std::vector<std::string> jurisdictions_;
};

}  // namespace domicile::router
