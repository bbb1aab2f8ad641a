// RemoteCustodian: the node's side of a key custodian that runs as its own service
// (custodian_service.h), typically the trusted partner's, with its keys in an HSM. Each call is
// one authenticated HTTP request. Unwraps run on a few worker threads of their own (each with
// its own kept-alive connection), so that a slow custodian never holds up the log's thread
// that asks; when they are all busy and the queue is full, the read fails with 503.
//
// Fail closed: a custodian that cannot be reached, times out or answers anything but a key
// makes the request fail (Unavailable, 503); a refusal stays a refusal (custodian_refused, 403).
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "nlohmann/json.hpp"
#include "vault/key_custodian.h"

namespace domicile::custodian {

struct RemoteCustodianOptions {
  std::string url;    // "http(s)://host:port"
  std::string token;  // the node's bearer token for the custodian
  http::ClientOptions client;
  size_t workers = 4;       // concurrent unwraps
  size_t max_queue = 4096;  // unwraps waiting for a worker before 503
};

class RemoteCustodian final : public vault::KeyCustodian {
 public:
  // InvalidArgument for a bad URL or an empty token. Does not connect yet.
  static absl::StatusOr<std::unique_ptr<RemoteCustodian>> Create(RemoteCustodianOptions options);
  // Answers queued unwraps with Unavailable and joins the workers.
  ~RemoteCustodian() override;

  void Unwrap(const vault::Justification& why, const keys::WrappedDataKey& wrapped,
              UnwrapDone done) override;
  absl::Status EnsureKek(std::string_view kek_id) override;
  absl::StatusOr<keys::NewDataKey> NewDataKey(const vault::Justification& why,
                                              std::string_view kek_id) override;
  absl::Status GrantRevoked(std::string_view id) override;
  absl::Status DestroyKek(const vault::Justification& why, std::string_view kek_id) override;

 private:
  explicit RemoteCustodian(RemoteCustodianOptions options);
  // One POST of `body` to `path` on `client`; the JSON answer, or the error it carries.
  absl::StatusOr<nlohmann::json> Post(http::Client& client, std::string_view path,
                                      const nlohmann::json& body) const;
  absl::StatusOr<nlohmann::json> PostShared(std::string_view path, const nlohmann::json& body);
  void Work();

  const RemoteCustodianOptions options_;
  std::mutex shared_mu_;                  // serialises the blocking calls' connection
  std::unique_ptr<http::Client> shared_;  // guarded by shared_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(http::Client*)>> queue_;  // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace domicile::custodian
