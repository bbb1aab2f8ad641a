// Api: the node's HTTP routes, mapping requests onto the Vault and the transparency log. Every
// /v1 route but /v1/log needs a bearer token; /healthz, the log's routes (/log/...,
// /v1/log/...) and a witness's (/add-checkpoint, /witness/..., see witness_routes.h) are
// public, as a transparency log and a witness must be. Errors go through ErrorResponse (one
// shape, one status mapping); every response to a decided request carries the index of its log
// event in Domicile-Log-Index. The routes and their exact forms are in docs/api.md.
//
// Reads never block an I/O thread: the value is sent from the log's thread once the read's
// event is durable. Other operations wait for the log on a small pool of blocking threads.
#pragma once

#include <memory>
#include <string>

#include "access/grants.h"
#include "http/authenticator.h"
#include "http/grant_routes.h"
#include "http/log_routes.h"
#include "http/logged_error.h"
#include "http/ops_routes.h"
#include "http/request.h"
#include "http/response.h"
#include "http/server.h"
#include "http/witness_routes.h"
#include "util/clock.h"
#include "util/thread_pool.h"
#include "vault/policy_admin.h"
#include "vault/vault.h"

namespace domicile::http {

struct ApiOptions {
  // None are owned; all must outlive the Api. `policy_admin` may be null (then /v1/policy is
  // not served), `log_routes` too (then /log and /v1/log are not served).
  vault::Vault* vault = nullptr;
  const Authenticator* authenticator = nullptr;
  const Clock* clock = nullptr;
  vault::PolicyAdmin* policy_admin = nullptr;
  const LogRoutes* log_routes = nullptr;
  // May be null: then the node is no witness and /add-checkpoint, /witness/... are not served.
  // Witness requests run on the blocking pool (each cosignature is a synced write).
  const WitnessRoutes* witness_routes = nullptr;
  // May be null: then /v1/grants is not served and a Domicile-Grant header is refused.
  access::Grants* grants = nullptr;
  // May be null: then the lifecycle routes (/v1/import, /v1/migrations, /v1/shreds,
  // /v1/operations) are not served.
  ops::Operations* operations = nullptr;
  // May be null: then /v1/backups and /v1/restores are not served. `checkpoint` gives the log's
  // latest checkpoint, kept in each backup's manifest.
  const ops::BackupDestinations* backups = nullptr;
  ops::CheckpointFn checkpoint;
  // Threads that run writes, deletes, lists, registrations and policy updates, which wait for
  // their log event to become durable.
  size_t blocking_threads = 16;
  // Reads of a record go to the blocking threads too, rather than running on the I/O thread:
  // for stores behind a network round trip (PostgreSQL), so that an I/O thread never waits.
  bool reads_wait_for_store = false;
};

class Api {
 public:
  explicit Api(ApiOptions options);

  // Handles one request (an AsyncHandler). Thread-safe.
  void Handle(Request request, Responder respond) const;

 private:
  // GET /v1/subjects/{s}/records/{k}: responds once the read's event is durable.
  void Read(const Request& request, const std::vector<std::string>& seg, Responder respond) const;
  // The routes that wait for the log, run on the blocking pool.
  Response HandleBlocking(const Request& request, const std::vector<std::string>& seg) const;
  Response Subjects(const Request& request, const vault::Caller& caller) const;
  Response Policy(const Request& request, const vault::Caller& caller) const;
  Response Record(const Request& request, const vault::Caller& caller, std::string_view subject,
                  std::string_view key) const;
  Response Records(const Request& request, const vault::Caller& caller,
                   std::string_view subject) const;
  // DELETE /v1/subjects/{id}: the right to erasure.
  Response EraseSubject(const Request& request, const vault::Caller& caller,
                        std::string_view subject) const;

  // The request's circumstances: purpose, peer, time, and the grant it names.
  absl::StatusOr<vault::RequestContext> Context(const Request& request) const;

  ApiOptions options_;
  std::unique_ptr<GrantRoutes> grant_routes_;
  std::unique_ptr<OpsRoutes> ops_routes_;
  std::unique_ptr<ThreadPool> blocking_;
};

}  // namespace domicile::http
