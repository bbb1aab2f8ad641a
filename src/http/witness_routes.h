// WitnessRoutes: a tlog::Witness over HTTP, as C2SP tlog-witness defines it.
//
//   POST <prefix>/add-checkpoint          cosign a checkpoint (Witness::AddCheckpoint); the
//                                         answer's status, body and content type exactly as the
//                                         spec says (409: text/x.tlog.size, body "<size>\n")
//   GET  <prefix>/<hex sha256(origin)>/checkpoint
//                                         the latest checkpoint cosigned for that log, with the
//                                         log's signatures and the cosignature (monitoring)
//
// Both are served at two prefixes: the server root ("/add-checkpoint") and "/witness"
// ("/witness/add-checkpoint"), so a witness may run on a server of its own (submission prefix =
// its URL) or beside a node's API (submission prefix = <node URL>/witness) with the same
// handler. Public, as the spec wants: the only authentication is the log's signature on the
// checkpoint. docs/log.md, "Witnesses and cosignatures".
#pragma once

#include <string>
#include <vector>

#include "http/request.h"
#include "http/response.h"
#include "tlog/witness.h"

namespace domicile::http {

class WitnessRoutes {
 public:
  // `witness` is not owned and must outlive the WitnessRoutes.
  explicit WitnessRoutes(tlog::Witness* witness);

  // Whether the path (decoded segments) is one of the witness's routes.
  static bool Matches(const std::vector<std::string>& segments);

  // Handles a request whose path Matches. Blocks on the witness's store (a synced write per
  // cosignature) and lock: call it off the server's I/O threads. Thread-safe.
  Response Handle(const Request& request, const std::vector<std::string>& segments) const;

 private:
  Response AddCheckpoint(const Request& request) const;
  Response Checkpoint(const std::string& origin_hash) const;

  tlog::Witness* const witness_;
};

}  // namespace domicile::http
