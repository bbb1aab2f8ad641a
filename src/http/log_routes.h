// LogRoutes: the transparency log over HTTP, read-only and public. The C2SP tlog-tiles
// resources exactly as the spec names them (GET /log/checkpoint, /log/tile/<L>/<N>[.p/<W>],
// /log/tile/entries/<N>[.p/<W>]; full tiles immutable and cacheable), and conveniences for
// people and scripts: GET /v1/log/key (the checkpoint verifier key), /v1/log/entries/{index},
// /v1/log/proof/inclusion?index=I&size=N, /v1/log/proof/consistency?old=M&new=N.
#pragma once

#include <string>
#include <vector>

#include "http/request.h"
#include "http/response.h"
#include "tlog/log.h"

namespace domicile::http {

class LogRoutes {
 public:
  // `log` is not owned and must outlive the LogRoutes. `verifier_key` is the C2SP note
  // verifier key of the log's checkpoints.
  LogRoutes(const tlog::Log* log, std::string verifier_key);

  // Whether the path (decoded segments) is one of the log's routes.
  static bool Matches(const std::vector<std::string>& segments);

  // Handles a request whose path Matches. Does not block on anything but the log's store.
  Response Handle(const Request& request, const std::vector<std::string>& segments) const;

 private:
  Response Tile(const Request& request) const;
  Response Entry(std::string_view index) const;
  Response Inclusion(const Request& request) const;
  Response Consistency(const Request& request) const;

  const tlog::Log* log_;
  std::string verifier_key_;
};

}  // namespace domicile::http
