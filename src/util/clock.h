// A tiny injectable clock, so that code that reads the time is deterministic under test.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace domicile {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time. Thread-safe.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  int64_t NowUnixSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  }
};

class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

// A clock that stands still until told to move. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_seconds = 1'700'000'000) : seconds_(unix_seconds) {}
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds_.load()));
  }
  void Advance(std::chrono::seconds d) { seconds_ += d.count(); }

 private:
  std::atomic<int64_t> seconds_;
};

}  // namespace domicile
