// RequestMetrics: what a node answered, counted by the home jurisdiction of the subject each
// request concerned and by HTTP status, and rendered in the Prometheus text exposition format
// at /metrics. From the counts follows the figure the deployment promises: the share of each
// jurisdiction's requests served by a node of that jurisdiction (docs/router.md).
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace domicile::http {

// The jurisdiction label of requests that concern no subject (policy, log, grants, ...).
inline constexpr std::string_view kNoJurisdiction = "none";

class RequestMetrics {
 public:
  // `node`: the node's name; `jurisdiction`: where it runs ("" if not configured: then no
  // in-jurisdiction share is reported).
  RequestMetrics(std::string node, std::string jurisdiction);

  void Count(std::string_view jurisdiction, int status);

  // The metrics in Prometheus text format (version 0.0.4).
  std::string Render() const;

 private:
  const std::string node_;
  const std::string jurisdiction_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> counts_;  // guarded by mu_
};

// Escapes a Prometheus label value (backslash, double quote, newline).
std::string PrometheusLabel(std::string_view value);

}  // namespace domicile::http
