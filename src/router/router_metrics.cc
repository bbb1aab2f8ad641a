#include "router/router_metrics.h"

#include <algorithm>

#include "fmt/format.h"

namespace domicile::router {
namespace {

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

RouterMetrics::RouterMetrics(const NodeTable* nodes)
    : nodes_(nodes),
      js_(nodes->jurisdictions().size()),
      answers_(new std::atomic<StatusCounters*>[js_ * nodes->size()]),
      unroutable_(new std::atomic<uint64_t>[js_]),
      failovers_(new std::atomic<uint64_t>[js_]) {
  for (size_t i = 0; i < js_ * nodes_->size(); ++i) answers_[i].store(nullptr);
  for (size_t j = 0; j < js_; ++j) {
    unroutable_[j].store(0);
    failovers_[j].store(0);
  }
}

RouterMetrics::~RouterMetrics() {
  for (size_t i = 0; i < js_ * nodes_->size(); ++i) delete answers_[i].load();
}

size_t RouterMetrics::JurisdictionIndex(std::string_view j) const {
  const std::vector<std::string>& all = nodes_->jurisdictions();
  auto it = std::lower_bound(all.begin(), all.end(), j);
  return it != all.end() && *it == j ? static_cast<size_t>(it - all.begin()) : js_;
}

RouterMetrics::StatusCounters& RouterMetrics::Counters(size_t j, size_t node) {
  std::atomic<StatusCounters*>& slot = answers_[j * nodes_->size() + node];
  StatusCounters* counters = slot.load(std::memory_order_acquire);
  if (counters != nullptr) return *counters;
  auto* fresh = new StatusCounters();
  if (slot.compare_exchange_strong(counters, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;
  return *counters;  // another thread allocated them first
}

const RouterMetrics::StatusCounters* RouterMetrics::FindCounters(size_t j, size_t node) const {
  return answers_[j * nodes_->size() + node].load(std::memory_order_acquire);
}

void RouterMetrics::CountAnswer(std::string_view j, size_t node, int status) {
  const size_t ji = JurisdictionIndex(j);
  if (ji == js_ || node >= nodes_->size()) return;
  status = std::clamp(status, kMinStatus, kMaxStatus);
  Counters(ji, node).by_status[status - kMinStatus].fetch_add(1, std::memory_order_relaxed);
}

void RouterMetrics::CountUnroutable(std::string_view j) {
  if (size_t ji = JurisdictionIndex(j); ji < js_) unroutable_[ji].fetch_add(1);
}

void RouterMetrics::CountFailover(std::string_view j) {
  if (size_t ji = JurisdictionIndex(j); ji < js_) failovers_[ji].fetch_add(1);
}

void RouterMetrics::CountRefused(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++refused_[status];
}

void RouterMetrics::CountLookup(std::string_view result) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lookups_.find(result);
  if (it == lookups_.end()) it = lookups_.emplace(std::string(result), 0).first;
  ++it->second;
}

void RouterMetrics::CountDirectoryConflict() { conflicts_.fetch_add(1); }

uint64_t RouterMetrics::Answered(std::string_view j, size_t node) const {
  const size_t ji = JurisdictionIndex(j);
  if (ji == js_ || node >= nodes_->size()) return 0;
  const StatusCounters* counters = FindCounters(ji, node);
  if (counters == nullptr) return 0;
  uint64_t sum = 0;
  for (const auto& c : counters->by_status) sum += c.load(std::memory_order_relaxed);
  return sum;
}

std::string RouterMetrics::Render(const RouterGauges& gauges) const {
  const std::vector<std::string>& js = nodes_->jurisdictions();
  std::string out;
  Header(out, "domicile_router_requests_total", "counter",
         "Requests forwarded, by the jurisdiction they belong to, the node that answered and "
         "its HTTP status.");
  for (size_t ji = 0; ji < js_; ++ji) {
    for (size_t n = 0; n < nodes_->size(); ++n) {
      const StatusCounters* counters = FindCounters(ji, n);
      if (counters == nullptr) continue;
      for (int s = kMinStatus; s <= kMaxStatus; ++s) {
        const uint64_t v = counters->by_status[s - kMinStatus].load(std::memory_order_relaxed);
        if (v == 0) continue;
        out += fmt::format(
            "domicile_router_requests_total{{jurisdiction=\"{}\",node=\"{}\",status=\"{}\"}} {}\n",
            js[ji], nodes_->node(n).id, s, v);
      }
    }
  }
  Header(out, "domicile_router_in_jurisdiction_ratio", "gauge",
         "Share of a jurisdiction's forwarded requests that nodes of that jurisdiction "
         "answered (absent until one was answered).");
  for (size_t ji = 0; ji < js_; ++ji) {
    uint64_t home = 0, all = 0;
    for (size_t n = 0; n < nodes_->size(); ++n) {
      const uint64_t answered = Answered(js[ji], n);
      all += answered;
      if (nodes_->node(n).jurisdiction == js[ji]) home += answered;
    }
    if (all == 0) continue;
    out += fmt::format("domicile_router_in_jurisdiction_ratio{{jurisdiction=\"{}\"}} {}\n", js[ji],
                       static_cast<double>(home) / static_cast<double>(all));
  }
  Header(out, "domicile_router_unroutable_total", "counter",
         "Requests refused with 503 because none of their jurisdiction's nodes was up.");
  for (size_t ji = 0; ji < js_; ++ji) {
    out += fmt::format("domicile_router_unroutable_total{{jurisdiction=\"{}\"}} {}\n", js[ji],
                       unroutable_[ji].load());
  }
  Header(out, "domicile_router_failovers_total", "counter",
         "Requests sent to another node of their jurisdiction after one failed.");
  for (size_t ji = 0; ji < js_; ++ji) {
    out += fmt::format("domicile_router_failovers_total{{jurisdiction=\"{}\"}} {}\n", js[ji],
                       failovers_[ji].load());
  }
  Header(out, "domicile_router_node_up", "gauge",
         "1 if the node passed its last health check and connection, else 0.");
  for (size_t n = 0; n < nodes_->size(); ++n) {
    out += fmt::format("domicile_router_node_up{{node=\"{}\",jurisdiction=\"{}\"}} {}\n",
                       nodes_->node(n).id, nodes_->node(n).jurisdiction, nodes_->up(n) ? 1 : 0);
  }
  Header(out, "domicile_router_node_connections", "gauge",
         "Connections open from the router to the node.");
  for (size_t n = 0; n < nodes_->size() && n < gauges.open_connections.size(); ++n) {
    out += fmt::format("domicile_router_node_connections{{node=\"{}\"}} {}\n", nodes_->node(n).id,
                       gauges.open_connections[n]);
  }
  std::map<int, uint64_t> refused;
  std::map<std::string, uint64_t, std::less<>> lookups;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refused = refused_;
    lookups = lookups_;
  }
  Header(out, "domicile_router_refused_total", "counter",
         "Requests the router answered itself, by HTTP status (it could not route them).");
  for (const auto& [status, v] : refused) {
    out += fmt::format("domicile_router_refused_total{{status=\"{}\"}} {}\n", status, v);
  }
  Header(out, "domicile_router_directory_lookups_total", "counter",
         "Subjects looked up at the nodes on a directory miss, by result.");
  for (const auto& [result, v] : lookups) {
    out += fmt::format("domicile_router_directory_lookups_total{{result=\"{}\"}} {}\n", result, v);
  }
  Header(out, "domicile_router_directory_entries", "gauge",
         "Subjects and grants whose jurisdiction the router knows.");
  out += fmt::format("domicile_router_directory_entries{{kind=\"subject\"}} {}\n",
                     gauges.directory_subjects);
  out += fmt::format("domicile_router_directory_entries{{kind=\"grant\"}} {}\n",
                     gauges.directory_grants);
  Header(out, "domicile_router_directory_conflicts_total", "counter",
         "Subjects or grants a node placed in another jurisdiction than the directory had.");
  out += fmt::format("domicile_router_directory_conflicts_total {}\n", conflicts_.load());
  Header(out, "domicile_router_directory_journal_errors_total", "counter",
         "Directory entries that could not be written to the journal.");
  out += fmt::format("domicile_router_directory_journal_errors_total {}\n",
                     gauges.directory_journal_errors);
  return out;
}

}  // namespace domicile::router
