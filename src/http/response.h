// An HTTP response as a handler returns it. The server adds the framing headers itself
// (Content-Length, Connection, Server: domicile); build error responses with ErrorResponse()
// from status_mapping.h so that every error has the same shape.
#pragma once

#include <string>
#include <vector>

#include "http/request.h"

namespace domicile::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  // Extra headers. Names must be HTTP tokens and values free of CR, LF and NUL; others are
  // dropped. Content-Length, Transfer-Encoding and Connection are set by the server and dropped.
  std::vector<Header> headers;
  std::string body;
};

}  // namespace domicile::http
