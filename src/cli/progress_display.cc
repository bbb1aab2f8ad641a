#include "cli/progress_display.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "fmt/format.h"

namespace domicile::cli {
namespace {

std::string Megabytes(uint64_t bytes) { return fmt::format("{:.1f} MB", bytes / 1e6); }

std::string Clock(double seconds) {
  const auto s = static_cast<uint64_t>(seconds);
  return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace

ProgressDisplay::ProgressDisplay(std::string what)
    : what_(std::move(what)),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_line_(start_),
      phase_start_(start_) {}

void ProgressDisplay::Update(std::string_view phase, uint64_t done, uint64_t total, uint64_t bytes,
                             bool total_estimated) {
  const auto now = std::chrono::steady_clock::now();
  if (phase != phase_) {
    if (tty_ && drawn_) std::fputc('\n', stderr);
    phase_ = std::string(phase);
    phase_start_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - phase_start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0;
  const double mbps = elapsed > 0 ? bytes / elapsed / 1e6 : 0;
  std::string eta = "?";
  if (total > 0 && rate > 0 && done <= total) eta = Clock((total - done) / rate);
  const std::string counts =
      total > 0 ? fmt::format("{}/{}{} records", done, total_estimated ? "~" : "", total)
                : fmt::format("{} records", done);
  const std::string stats = fmt::format("{}, {}, {:.0f} records/s, {:.1f} MB/s, ETA {}", counts,
                                        Megabytes(bytes), rate, mbps, eta);
  if (tty_) {
    constexpr int kWidth = 24;
    const int filled =
        total > 0 ? static_cast<int>(kWidth * std::min<double>(1, 1.0 * done / total)) : 0;
    std::fprintf(stderr, "\r%s %s [%s%s] %s\x1b[K", what_.c_str(), phase_.c_str(),
                 std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(),
                 stats.c_str());
    drawn_ = true;
  } else if (now - last_line_ >= std::chrono::seconds(5)) {
    std::fprintf(stderr, "%s: %s: %s\n", what_.c_str(), phase_.c_str(), stats.c_str());
    last_line_ = now;
  }
  std::fflush(stderr);
}

void ProgressDisplay::Finish() {
  if (tty_ && drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

bool TerminationRequested() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const timespec zero{0, 0};
  return ::sigtimedwait(&set, nullptr, &zero) > 0;
}

}  // namespace domicile::cli
