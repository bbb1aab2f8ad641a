// Where a request to the router goes, decided from its method, target and body alone (the
// directory is consulted later, by the router). Pure functions, so that every routing rule of
// docs/router.md can be tested without a network.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace domicile::router {

// What a node-API path is about, as far as its jurisdiction goes.
struct About {
  enum class Kind {
    kNothing,       // no jurisdiction can be told from the request
    kSubject,       // /v1/subjects/{subject}[/...]: the subject's home
    kRegistration,  // POST /v1/subjects {"id": subject, "jurisdiction": jurisdiction}
    kGrantRequest,  // POST /v1/grants: scope subject:{subject} or jurisdiction:{jurisdiction}
    kGrant,         // /v1/grants/{grant}[/...]: where the grant was made
  };
  Kind kind = Kind::kNothing;
  std::string subject;
  std::string grant;
  // kRegistration; kGrantRequest with a jurisdiction scope; kNothing for an import's
  // ?jurisdiction= (only checked against a /j/ or /n/ prefix, never routed by).
  std::string jurisdiction;
  // Why the body or path could not be read (kNothing then). Only an error for a request
  // without a prefix: with one, the node answers the malformed request itself.
  absl::Status problem;
};

struct Route {
  enum class Kind {
    kHealth,        // GET /healthz: the router's own
    kMetrics,       // GET /metrics: the router's own
    kLogs,          // GET /v1/logs: where each node's log is read through the router
    kJurisdiction,  // /j/{pinned}/...: to a node of that jurisdiction
    kNode,          // /n/{pinned}/...: to that node only
    kContent,       // no prefix: by what `about` says
  };
  Kind kind = Kind::kContent;
  std::string pinned;  // the jurisdiction (kJurisdiction) or node id (kNode)
  std::string target;  // what the node is sent: the request target without the prefix
  About about;
};

// Classifies a request. InvalidArgument (400) for a malformed prefix or, without a prefix, for
// a request whose jurisdiction cannot be told (naming /j/{J}/); method_not_allowed for the
// router's own routes with another method than GET or HEAD.
absl::StatusOr<Route> ClassifyRequest(std::string_view method, std::string_view target,
                                      std::string_view body);

// What a node-API path (no prefix) is about; `query` is the raw query string.
About Inspect(std::string_view method, std::string_view path, std::string_view query,
              std::string_view body);

// True for the methods a request already sent may be sent again for (elsewhere) when no
// byte of an answer arrived: GET, HEAD, PUT, DELETE.
bool IsRetryable(std::string_view method);

}  // namespace domicile::router
