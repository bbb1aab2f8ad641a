// ProgressDisplay: how a long client command shows its progress. On a terminal, one line
// redrawn in place on standard error: a bar, records, bytes, rate and ETA. Otherwise (a pipe, a
// CI log), a plain line every few seconds. Neither ever shows a value.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace domicile::cli {

class ProgressDisplay {
 public:
  explicit ProgressDisplay(std::string what);
  // The work is at `done` of `total` records (total 0: unknown; shown as "~total" when
  // estimated), `bytes` so far, in `phase`.
  void Update(std::string_view phase, uint64_t done, uint64_t total, uint64_t bytes,
              bool total_estimated = false);
  // Ends the line on a terminal.
  void Finish();

 private:
  std::string what_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_line_;
  std::string phase_;
  std::chrono::steady_clock::time_point phase_start_;
  bool drawn_ = false;
};

// True once SIGINT or SIGTERM arrived (the caller blocked them with
// http::BlockTerminationSignals first): a long command stops cleanly instead of dying.
bool TerminationRequested();

}  // namespace domicile::cli
