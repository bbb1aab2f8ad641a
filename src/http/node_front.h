// NodeFront: what stands before a node's API when the node is one of a regional group behind a
// router (docs/router.md). It
//   - believes X-Forwarded-For only from the router's addresses (so that the policy still sees
//     where a request came from, not the router's address);
//   - serves the subject directory the router reads (GET /v1/directory, /v1/directory/{id}),
//     to the router's token only;
//   - serves /metrics (Prometheus text) and counts every answer by the home jurisdiction of the
//     subject it concerned and its status;
//   - names itself in every answer (Domicile-Node), so a client or a test sees who served it.
// Everything else goes to the Api unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/api.h"
#include "http/request_metrics.h"
#include "http/server.h"
#include "util/thread_pool.h"
#include "vault/network_map.h"
#include "vault/subject_registry.h"

namespace domicile::http {

struct NodeFrontOptions {
  std::string node_name;
  std::string jurisdiction;  // where the node runs; "" if not configured
  // Addresses of the router(s): X-Forwarded-For is believed from these only. Not owned; may be
  // null (then it is never believed).
  const vault::NetworkMap* proxies = nullptr;
  // SHA-256 of the token the router presents at /v1/directory; unset: no directory is served.
  std::optional<std::array<uint8_t, 32>> directory_token_sha256;
  vault::SubjectRegistry* subjects = nullptr;  // not owned
  const Api* api = nullptr;                    // not owned
};

class NodeFront {
 public:
  explicit NodeFront(NodeFrontOptions options);

  // An AsyncHandler. Thread-safe.
  void Handle(Request request, Responder respond) const;

  const RequestMetrics& metrics() const { return metrics_; }

 private:
  // The home jurisdiction of the subject `request` concerns, or kNoJurisdiction.
  std::string JurisdictionOf(const Request& request) const;
  Response Directory(const Request& request) const;

  NodeFrontOptions options_;
  mutable RequestMetrics metrics_;
  std::unique_ptr<ThreadPool> directory_pool_;
};

}  // namespace domicile::http
