#include "router/node_table.h"

#include <algorithm>

namespace domicile::router {

NodeTable::NodeTable(std::vector<NodeConfig> nodes)
    : nodes_(std::move(nodes)), up_(new std::atomic<bool>[nodes_.size()]) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    up_[i].store(false);
    groups_[nodes_[i].jurisdiction].nodes.push_back(i);
  }
  for (const auto& [j, group] : groups_) jurisdictions_.push_back(j);
}

std::optional<size_t> NodeTable::Find(std::string_view id) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].id == id) return i;
  }
  return std::nullopt;
}

bool NodeTable::HasJurisdiction(std::string_view j) const {
  return groups_.find(j) != groups_.end();
}

const std::vector<size_t>& NodeTable::NodesOf(std::string_view j) const {
  static const std::vector<size_t> kNone;
  auto it = groups_.find(j);
  return it == groups_.end() ? kNone : it->second.nodes;
}

bool NodeTable::SetUp(size_t i, bool up) {
  return up_[i].exchange(up, std::memory_order_acq_rel) != up;
}

std::optional<size_t> NodeTable::Pick(std::string_view j, const std::vector<size_t>& tried) {
  auto it = groups_.find(j);
  if (it == groups_.end()) return std::nullopt;
  const std::vector<size_t>& nodes = it->second.nodes;
  const uint64_t start = it->second.next->fetch_add(1, std::memory_order_relaxed);
  for (size_t k = 0; k < nodes.size(); ++k) {
    const size_t i = nodes[(start + k) % nodes.size()];
    if (up(i) && std::find(tried.begin(), tried.end(), i) == tried.end()) return i;
  }
  return std::nullopt;
}

}  // namespace domicile::router
