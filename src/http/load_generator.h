// The HTTP load tool behind `domicile bench`: a closed-loop generator that keeps N kept-alive
// connections busy (each sends a request, waits for its response, sends the next) and reports
// throughput and latency percentiles. Cheap per request (no allocation, no header parsing into
// containers) because it usually shares the machine with the server it measures.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "http/request.h"

namespace domicile::http {

struct LoadOptions {
  std::string url;  // "http://host:port" (plain HTTP only)
  int connections = 32;
  int threads = 1;  // each runs its own event loop over a share of the connections
  std::chrono::milliseconds duration{10000};  // the measured window
  std::chrono::milliseconds warmup{1000};     // before the window; not reported
  std::string method = "GET";
  std::vector<std::string> targets;  // requested round-robin per connection; empty = {"/"}
  std::vector<Header> headers;       // added to every request
  std::string body;                  // sent with every request (Content-Length set)
};

struct LoadReport {
  // Responses received for requests sent and answered inside the window.
  uint64_t requests = 0;
  // Transport errors inside the window plus responses with a non-2xx status.
  uint64_t errors = 0;
  double seconds = 0;  // length of the window
  double requests_per_second = 0;
  // Exact latency percentiles (nearest rank) of the counted requests, in microseconds.
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  std::map<int, uint64_t> status_counts;  // HTTP status -> responses
};

// Runs the load and blocks until warmup + duration have passed. InvalidArgument for bad
// options; Unavailable if the server cannot be reached at the start. Errors during the run
// are counted, and the failed connection reconnects.
absl::StatusOr<LoadReport> RunLoad(const LoadOptions& options);

}  // namespace domicile::http
