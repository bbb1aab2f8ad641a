#include "router/health_checker.h"

#include "spdlog/spdlog.h"

namespace domicile::router {

HealthChecker::HealthChecker(NodeTable* nodes, Upstreams* upstreams, DirectorySync* sync,
                             std::chrono::milliseconds interval, std::chrono::milliseconds timeout)
    : nodes_(nodes),
      upstreams_(upstreams),
      sync_(sync),
      interval_(interval),
      timeout_(timeout),
      pulled_(nodes->size(), false),
      pulling_(nodes->size(), false),
      last_pull_error_(nodes->size()) {}

void HealthChecker::Start() { Round(); }

void HealthChecker::Round() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = nodes_->size();
  }
  auto request = std::make_shared<UpstreamRequest>();
  request->method = "GET";
  request->target = "/healthz";
  request->timeout = timeout_;
  request->dedicated = true;
  for (size_t i = 0; i < nodes_->size(); ++i) {
    upstreams_->Send(i, request, [this, i](UpstreamResult r) {
      if (!r.status.ok()) return OnCheck(i, false, std::string(r.status.message()));
      if (r.http_status != 200) return OnCheck(i, false, fmt::format("HTTP {}", r.http_status));
      OnCheck(i, true, "");
    });
  }
}

void HealthChecker::OnCheck(size_t node, bool healthy, const std::string& why) {
  const NodeConfig& config = nodes_->node(node);
  const bool changed = nodes_->SetUp(node, healthy);
  if (changed && healthy) spdlog::info("node {} ({}) is up", config.id, config.jurisdiction);
  if (changed && !healthy) {
    spdlog::warn("node {} ({}) is down: /healthz: {}", config.id, config.jurisdiction, why);
  }
  bool pull = false, round_done = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Down, or just come back (perhaps after the request path marked it down): pull again.
    if (!healthy || changed) pulled_[node] = false;
    if (healthy && !pulled_[node] && !pulling_[node]) pull = pulling_[node] = true;
    round_done = --pending_ == 0;
    if (round_done) ++rounds_;
  }
  cv_.notify_all();
  if (pull) StartPull(node);
  if (round_done) upstreams_->After(interval_, [this] { Round(); });
}

void HealthChecker::StartPull(size_t node) {
  sync_->Pull(node, [this, node](absl::StatusOr<size_t> pulled) {
    const NodeConfig& config = nodes_->node(node);
    {
      std::lock_guard<std::mutex> lock(mu_);
      pulling_[node] = false;
      if (pulled.ok()) {
        pulled_[node] = true;
        last_pull_error_[node].clear();
      } else {
        const std::string why(pulled.status().message());
        if (why != last_pull_error_[node]) {
          spdlog::warn("{} (retried at the next health checks)", why);
          last_pull_error_[node] = why;
        }
      }
    }
    if (pulled.ok()) {
      spdlog::info("pulled the directory of node {} ({}): {} subjects", config.id,
                   config.jurisdiction, *pulled);
    }
    cv_.notify_all();
  });
}

bool HealthChecker::SyncedLocked() const {
  for (size_t i = 0; i < nodes_->size(); ++i) {
    if (nodes_->up(i) && !pulled_[i]) return false;
  }
  return true;
}

bool HealthChecker::AwaitFirstRound(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return rounds_ > 0; });
}

bool HealthChecker::AwaitSynced(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return rounds_ > 0 && SyncedLocked(); });
}

}  // namespace domicile::router
