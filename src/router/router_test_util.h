// Helpers for the router's tests: a reader of the Prometheus text format, and waiting for a
// condition that background work (health checks) makes true.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace domicile::router {

// Parses "name{labels} value" lines; checks that every sample's metric has a # TYPE line.
class Metrics {
 public:
  explicit Metrics(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("# TYPE ")) {
        std::istringstream fields(line.substr(7));
        std::string name;
        fields >> name;
        typed_.insert(name);
        continue;
      }
      if (line.empty() || line[0] == '#') continue;
      const size_t space = line.rfind(' ');
      const std::string series = line.substr(0, space);
      samples_[series] = std::stod(line.substr(space + 1));
      const std::string name = series.substr(0, series.find('{'));
      if (!typed_.count(name)) untyped_ = true;
    }
  }
  // The sample's value; -1 if absent.
  double Get(const std::string& series) const {
    auto it = samples_.find(series);
    return it == samples_.end() ? -1 : it->second;
  }
  // The sum of every sample whose series starts with `prefix`.
  double Sum(const std::string& prefix) const {
    double sum = 0;
    for (const auto& [series, v] : samples_) {
      if (series.starts_with(prefix)) sum += v;
    }
    return sum;
  }
  bool AllTyped() const { return !untyped_ && !samples_.empty(); }

 private:
  std::map<std::string, double> samples_;
  std::set<std::string> typed_;
  bool untyped_ = false;
};

// Polls `condition` until it holds (true) or a generous deadline passes (false).
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace domicile::router
