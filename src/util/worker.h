// Worker: a thread of its own running the tasks given to it one at a time, in order of
// submission, each returning a Status through a future. For pipelines that keep one stage off
// the calling thread (hashing and writing a chunk while the next is gathered). A long-lived
// thread reuses what it allocated in its malloc arena, so a process that keeps its workers for a
// whole operation rather than starting threads per batch keeps its resident memory bounded.
// The destructor waits for every task given.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "util/thread_pool.h"

namespace domicile {

class Worker {
 public:
  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::future<absl::Status> Submit(std::function<absl::Status()> task) {
    auto job = std::make_shared<std::packaged_task<absl::Status()>>(std::move(task));
    std::future<absl::Status> done = job->get_future();
    thread_.Post([job] { (*job)(); });
    return done;
  }

 private:
  ThreadPool thread_{1};  // its destructor runs every task posted, then joins
};

}  // namespace domicile
