// Worker: a thread of its own running the tasks given to it one at a time, in order of
// submission, each returning a Status through a future. For pipelines that keep one stage off
// the calling thread (hashing and writing a chunk while the next is gathered). A long-lived
// thread reuses what it allocated in its malloc arena, so a process that keeps its workers for a
// whole operation rather than starting threads per batch keeps its resident memory bounded.
// The destructor waits for every task given.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/status/status.h"

namespace domicile {

class Worker {
 public:
  Worker() : thread_([this] { Run(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::future<absl::Status> Submit(std::function<absl::Status()> task) {
    std::packaged_task<absl::Status()> job(std::move(task));
    std::future<absl::Status> done = job.get_future();
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return done;
  }

 private:
  void Run() {
    for (;;) {
      std::packaged_task<absl::Status()> job;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [&] { return done_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<absl::Status()>> jobs_;  // guarded by mu_
  bool done_ = false;                                    // guarded by mu_
  std::thread thread_;
};

}  // namespace domicile
