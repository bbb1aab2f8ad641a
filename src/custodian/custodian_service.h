// CustodianService: the key custodian as its own HTTP service (`domicile custodian`), run by the
// trusted partner. Nodes authenticate with a bearer token whose SHA-256 the custodian's
// configuration lists; everything else is refused with 401 before any rule runs.
//
//   POST /v1/custodian/unwrap       {"justification": {...}, "wrapped": {"kek","wrapped"}}
//                                   -> 200 {"data_key": base64}
//   POST /v1/custodian/data-keys    {"justification": {...}, "kek": ID}
//                                   -> 200 {"data_key": base64, "wrapped": {"kek","wrapped"}}
//   POST /v1/custodian/keks         {"kek": ID} -> 200 {"kek": ID}
//   POST /v1/custodian/keks/destroy {"justification": {...}, "kek": ID}
//                                   -> 200 {"kek": ID, "destroyed": true}
//   POST /v1/custodian/revocations  {"grant": ID} -> 200 {"grant": ID}
//
// Refusals are 403 with error code "custodian_refused" and the rule that failed; a decision it
// cannot log is 503. Public, without a token: its own transparency log (/log/..., /v1/log/...:
// every decision it made) and the C2SP witness endpoint (POST /add-checkpoint), through which
// it cosigns the node's checkpoints. Wire forms in justification_json.h; docs/access.md.
//
// Thread safety: Handle may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "custodian/custodian.h"
#include "http/log_routes.h"
#include "http/request.h"
#include "http/response.h"
#include "http/server.h"
#include "http/witness_routes.h"
#include "util/thread_pool.h"

namespace domicile::custodian {

struct CustodianServiceOptions {
  Custodian* custodian = nullptr;                       // required; not owned
  std::vector<std::array<uint8_t, 32>> node_tokens;     // SHA-256 of each node's token
  const http::LogRoutes* log_routes = nullptr;          // its own log; optional, not owned
  const http::WitnessRoutes* witness_routes = nullptr;  // optional, not owned
  size_t blocking_threads = 4;                          // for calls that wait on the log or a store
};

class CustodianService {
 public:
  explicit CustodianService(CustodianServiceOptions options);

  void Handle(http::Request request, http::Responder respond) const;

 private:
  bool Authenticated(const http::Request& request) const;
  http::Response HandleBlocking(const http::Request& request) const;

  CustodianServiceOptions options_;
  std::unique_ptr<ThreadPool> blocking_;
};

}  // namespace domicile::custodian
