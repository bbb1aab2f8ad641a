#include "http/request_metrics.h"

#include "fmt/format.h"

namespace domicile::http {

std::string PrometheusLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

RequestMetrics::RequestMetrics(std::string node, std::string jurisdiction)
    : node_(std::move(node)), jurisdiction_(std::move(jurisdiction)) {}

void RequestMetrics::Count(std::string_view jurisdiction, int status) {
  std::pair<std::string, int> key(std::string(jurisdiction), status);
  std::lock_guard lock(mu_);
  ++counts_[std::move(key)];
}

std::string RequestMetrics::Render() const {
  std::map<std::pair<std::string, int>, uint64_t> counts;
  {
    std::lock_guard lock(mu_);
    counts = counts_;
  }
  const std::string node = PrometheusLabel(node_);
  std::string out;
  out += "# HELP domicile_node_info The node and the jurisdiction it runs in.\n";
  out += "# TYPE domicile_node_info gauge\n";
  out += fmt::format("domicile_node_info{{node=\"{}\",jurisdiction=\"{}\"}} 1\n", node,
                     PrometheusLabel(jurisdiction_));
  out +=
      "# HELP domicile_node_requests_total Requests answered, by the home jurisdiction of the "
      "subject concerned (\"none\": no subject) and HTTP status.\n";
  out += "# TYPE domicile_node_requests_total counter\n";
  std::map<std::string, uint64_t> per_jurisdiction;
  for (const auto& [key, n] : counts) {
    out += fmt::format(
        "domicile_node_requests_total{{node=\"{}\",jurisdiction=\"{}\",status=\"{}\"}} {}\n", node,
        PrometheusLabel(key.first), key.second, n);
    if (key.first != kNoJurisdiction) per_jurisdiction[key.first] += n;
  }
  if (jurisdiction_.empty()) return out;
  out +=
      "# HELP domicile_node_in_jurisdiction_ratio Share of each jurisdiction's requests to this "
      "node that a node of that jurisdiction served (1: all of them).\n";
  out += "# TYPE domicile_node_in_jurisdiction_ratio gauge\n";
  for (const auto& [j, n] : per_jurisdiction) {
    const uint64_t in_jurisdiction = j == jurisdiction_ ? n : 0;
    out += fmt::format(
        "domicile_node_in_jurisdiction_ratio{{node=\"{}\",jurisdiction=\"{}\"}} {}\n", node,
        PrometheusLabel(j), static_cast<double>(in_jurisdiction) / static_cast<double>(n));
  }
  return out;
}

}  // namespace domicile::http
