// MemoryEventLog: an EventLog kept in memory, for tests and benchmarks. Not durable. It can be
// told to fail (to test that callers fail closed) and to answer from another thread (as the real
// log's committer does).
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "vault/event_log.h"

namespace domicile::vault {

class MemoryEventLog final : public EventLog {
 public:
  void Append(std::string event, Done done) override {
    absl::StatusOr<uint64_t> outcome;
    {
      std::lock_guard lock(mu_);
      if (!failure_.ok()) {
        outcome = failure_;
      } else {
        outcome = size_++;
        if (keep_entries_) entries_.push_back(std::move(event));
      }
    }
    if (answer_from_other_thread_) {
      std::thread([done = std::move(done), outcome]() mutable { done(outcome); }).join();
    } else {
      done(outcome);
    }
  }

  // Every later Append fails with `status`; OK to recover.
  void SetFailure(absl::Status status) {
    std::lock_guard lock(mu_);
    failure_ = std::move(status);
  }
  void AnswerFromOtherThread(bool yes) { answer_from_other_thread_ = yes; }
  // Whether entries() keeps what was appended (benchmarks say no: memory stays flat).
  void KeepEntries(bool yes) { keep_entries_ = yes; }

  std::vector<std::string> entries() const {
    std::lock_guard lock(mu_);
    return entries_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> entries_;
  uint64_t size_ = 0;
  absl::Status failure_;
  bool keep_entries_ = true;
  bool answer_from_other_thread_ = false;
};

}  // namespace domicile::vault
