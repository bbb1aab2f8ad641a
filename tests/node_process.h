// Test harness: runs the real `domicile` binary as a child process. NodeProcess starts
// `domicile serve ...`, waits for its first stdout line ("listening on URL") and keeps draining
// its output; RunCommand runs a one-shot subcommand and collects its exit code and output.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace domicile::testing {

// The path of the binary under test (set by CMake).
std::string DomicileBinary();

class NodeProcess {
 public:
  // Starts `domicile <args...>` with extra environment variables; returns once it printed
  // "listening on URL" (FailedPrecondition with its output if it exited first).
  static absl::StatusOr<std::unique_ptr<NodeProcess>> Start(
      std::vector<std::string> args, std::map<std::string, std::string> env = {});
  ~NodeProcess();  // SIGKILL if still running

  const std::string& url() const { return url_; }
  // Everything printed so far.
  std::string Stdout() const;
  std::string Stderr() const;

  // Sends SIGTERM and waits; returns the exit code (128+signal if killed by a signal).
  int Terminate();
  // Sends SIGKILL and waits.
  void Kill();

 private:
  NodeProcess() = default;
  int Wait();

  int pid_ = -1;
  int exit_code_ = -1;
  std::string url_;
  mutable std::mutex mu_;
  std::string out_, err_;
  std::thread out_reader_, err_reader_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `domicile <args...>` to completion with `input` on stdin.
CommandResult RunCommand(const std::vector<std::string>& args, const std::string& input = "",
                         std::map<std::string, std::string> env = {});

}  // namespace domicile::testing
