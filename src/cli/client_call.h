// What every client subcommand shares: where the node is, who is asking (token), and one
// request with a clear error on stderr when it fails.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace domicile::cli {

struct Common {
  std::string url;
  std::string token;
  std::string ca;
  std::string purpose;
  std::string grant;
};

// --url, --token, --ca, --purpose, --grant.
void AddCommon(CLI::App* cmd, Common& c);

std::string PercentEncode(std::string_view s);

// Sends one request as `common` says; prints "domicile NAME: code: message (HTTP n)" and
// returns nullopt on failure or a non-2xx answer.
std::optional<http::ClientResponse> Call(const std::string& name, const Common& common,
                                         std::string_view method, const std::string& target,
                                         std::string_view body = {});

}  // namespace domicile::cli
