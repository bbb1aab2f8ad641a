#include "node_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>

namespace domicile::testing {
namespace {

struct Child {
  int pid = -1;
  int in = -1, out = -1, err = -1;
};

Child Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return {};
  }
  std::string bin = DomicileBinary();
  std::vector<std::string> argv_s = {bin};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // The test runner may block signals; the child starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  return Child{pid, in[1], out[0], err[0]};
}

int DecodeWait(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void Drain(int fd, std::mutex& mu, std::string& into) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mu);
    into.append(buf, size_t(n));
  }
  close(fd);
}

}  // namespace

std::string DomicileBinary() { return DOMICILE_BINARY; }

absl::StatusOr<std::unique_ptr<NodeProcess>> NodeProcess::Start(
    std::vector<std::string> args, std::map<std::string, std::string> env) {
  Child c = Spawn(args, env);
  if (c.pid < 0) return absl::InternalError("cannot spawn domicile");
  close(c.in);
  std::unique_ptr<NodeProcess> node(new NodeProcess());
  node->pid_ = c.pid;
  node->out_reader_ = std::thread([p = node.get(), fd = c.out] { Drain(fd, p->mu_, p->out_); });
  node->err_reader_ = std::thread([p = node.get(), fd = c.err] { Drain(fd, p->mu_, p->err_); });
  const std::string prefix = "listening on ";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(node->mu_);
      size_t nl = node->out_.find('\n');
      if (nl != std::string::npos) {
        std::string first = node->out_.substr(0, nl);
        if (first.rfind(prefix, 0) != 0) {
          return absl::FailedPreconditionError("unexpected first line: " + first);
        }
        node->url_ = first.substr(prefix.size());
        return node;
      }
    }
    int status;
    if (waitpid(node->pid_, &status, WNOHANG) == node->pid_) {
      node->exit_code_ = DecodeWait(status);
      node->pid_ = -1;
      node->out_reader_.join();
      node->err_reader_.join();
      return absl::FailedPreconditionError("domicile exited with " +
                                           std::to_string(node->exit_code_) + ": " + node->err_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::DeadlineExceededError("domicile did not print its address");
}

NodeProcess::~NodeProcess() {
  if (pid_ > 0) Kill();
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

std::string NodeProcess::Stdout() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string NodeProcess::Stderr() const {
  std::lock_guard lock(mu_);
  return err_;
}

int NodeProcess::Wait() {
  if (pid_ <= 0) return exit_code_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = DecodeWait(status);
  pid_ = -1;
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  return exit_code_;
}

int NodeProcess::Terminate() {
  if (pid_ > 0) kill(pid_, SIGTERM);
  return Wait();
}

void NodeProcess::Kill() {
  if (pid_ > 0) kill(pid_, SIGKILL);
  Wait();
}

CommandResult RunCommand(const std::vector<std::string>& args, const std::string& input,
                         std::map<std::string, std::string> env) {
  signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test
  Child c = Spawn(args, env);
  CommandResult result;
  if (c.pid < 0) return result;
  std::mutex mu;
  std::thread out([&] { Drain(c.out, mu, result.out); });
  std::thread err([&] { Drain(c.err, mu, result.err); });
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = write(c.in, input.data() + off, input.size() - off);
    if (n <= 0) break;
    off += size_t(n);
  }
  close(c.in);
  out.join();
  err.join();
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = DecodeWait(status);
  return result;
}

}  // namespace domicile::testing
