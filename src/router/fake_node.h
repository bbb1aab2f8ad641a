// Test double of a domicile node for the router's tests: an in-process http::Server that
// answers /healthz, the directory endpoints the router pulls (/v1/directory), registrations
// and grant requests, and echoes every other request back as JSON naming itself, so a test
// sees which node got what. It records every request it receives.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/request.h"
#include "http/server.h"

namespace domicile::router::testing {

inline constexpr char kDirectoryToken[] = "directory-token-for-tests";

class FakeNode {
 public:
  // Serves on `options` (port 0 and one thread unless set).
  FakeNode(std::string id, std::string jurisdiction, http::ServerOptions options = {});
  ~FakeNode();

  const std::string& id() const { return id_; }
  const std::string& url() const { return url_; }

  // Stops answering: connections are refused from now on.
  void Stop();
  // /healthz answers 200 when healthy, else 503.
  void SetHealthy(bool healthy) { healthy_ = healthy; }
  // Subjects this node publishes at /v1/directory (as if registered here).
  void AddSubject(const std::string& id, const std::string& jurisdiction);
  void ClearDirectory();
  // /v1/directory/{id} answers 404 for everything (as a node that forgot).
  void SetLookupsFail(bool fail) { lookups_fail_ = fail; }
  // Every /v1/directory request is answered 200 with `body` (a misbehaving node), if set.
  void SetDirectoryAnswer(std::string body);

  // Every request received, in order.
  std::vector<http::Request> Requests() const;
  // Requests other than /healthz and /v1/directory...: those a client sent through the router.
  std::vector<http::Request> DataRequests() const;
  int Lookups() const;  // GET /v1/directory/{id}
  int Pulls() const;    // GET /v1/directory?...

 private:
  http::Response Handle(const http::Request& request);

  const std::string id_;
  const std::string jurisdiction_;
  std::string url_;
  std::atomic<bool> healthy_{true};
  std::atomic<bool> lookups_fail_{false};
  mutable std::mutex mu_;
  std::vector<http::Request> requests_;
  std::map<std::string, std::string> directory_;  // subject -> jurisdiction
  int next_grant_ = 0;
  std::string directory_answer_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace domicile::router::testing
