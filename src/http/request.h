// An HTTP request as the server hands it to a handler, and the percent-decoding helpers that
// routes use on its path and query. Our own type so that no Boost or Beast type leaks into the
// API layer; the server builds one per request from what it parsed.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace domicile::http {

// One header field as received (name in its original case) or to be sent.
struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // "GET", "POST", ... exactly as sent (case-sensitive per RFC 9110)
  std::string target;  // raw request-target, e.g. "/v1/x?y=z"
  std::string path;    // target before '?', NOT percent-decoded
  std::string query;   // after '?', raw ("" if none)
  std::vector<Header> headers;
  std::string body;
  std::string remote_ip;  // peer address, e.g. "127.0.0.1" or "::1"
  bool tls = false;       // received over TLS

  // The value of the first header named `name` (ASCII case-insensitive), if any. The view
  // points into `headers` and is valid while the request is unchanged.
  std::optional<std::string_view> GetHeader(std::string_view name) const;
};

// The value of the first header in `headers` named `name` (ASCII case-insensitive).
std::optional<std::string_view> FindHeader(const std::vector<Header>& headers,
                                           std::string_view name);

// True if `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Decodes %XX escapes in `s` ('+' is left as is). InvalidArgument for a '%' not followed by two
// hex digits, or for an escape that decodes to NUL.
absl::StatusOr<std::string> PercentDecode(std::string_view s);

// Splits a raw query string ("a=1&b=x%20y") into decoded (name, value) pairs in order. '+'
// decodes to a space in names and values; a field without '=' has an empty value; empty fields
// ("a=1&&b=2") are skipped. InvalidArgument for a bad escape, a decoded NUL or an empty name.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view raw);

// 405 method_not_allowed for `request`'s method on its path.
absl::Status MethodNotAllowedError(const Request& request);

// The request's query as a map, refusing names not in `allowed` and repeated names
// (InvalidArgument naming the parameter).
absl::StatusOr<std::map<std::string, std::string>> ParseQueryParams(
    const Request& request, std::initializer_list<std::string_view> allowed);

}  // namespace domicile::http
