#include "cli/client_call.h"

#include <cctype>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace domicile::cli {

constexpr const char* kDefaultUrl = "http://127.0.0.1:8700";

void AddCommon(CLI::App* cmd, Common& c) {
  cmd->add_option("--url", c.url, "Node URL (default $DOMICILE_URL or http://127.0.0.1:8700)");
  cmd->add_option("--token", c.token, "Bearer token (default $DOMICILE_TOKEN)");
  cmd->add_option("--ca", c.ca, "CA certificate to verify an https node");
  cmd->add_option("--purpose", c.purpose, "Purpose of the request (Domicile-Purpose header)");
  cmd->add_option("--grant", c.grant, "Grant to act under (Domicile-Grant header)");
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::optional<http::ClientResponse> Call(const std::string& name, const Common& common,
                                         std::string_view method, const std::string& target,
                                         std::string_view body) {
  std::string url = common.url;
  if (url.empty()) url = std::getenv("DOMICILE_URL") ? std::getenv("DOMICILE_URL") : kDefaultUrl;
  std::string token = common.token;
  if (token.empty() && std::getenv("DOMICILE_TOKEN")) token = std::getenv("DOMICILE_TOKEN");
  if (token.empty()) {
    std::cerr << "domicile " << name << ": no token: pass --token or set DOMICILE_TOKEN\n";
    return std::nullopt;
  }
  http::ClientOptions options;
  options.ca_file = common.ca;
  absl::StatusOr<std::unique_ptr<http::Client>> client = http::Client::Create(url, options);
  if (!client.ok()) {
    std::cerr << "domicile " << name << ": " << client.status().message() << "\n";
    return std::nullopt;
  }
  std::vector<http::Header> headers = {{"Authorization", "Bearer " + token}};
  if (!common.purpose.empty()) headers.push_back({"Domicile-Purpose", common.purpose});
  if (!common.grant.empty()) headers.push_back({"Domicile-Grant", common.grant});
  absl::StatusOr<http::ClientResponse> response = (*client)->Do(method, target, headers, body);
  if (!response.ok()) {
    std::cerr << "domicile " << name << ": cannot reach " << url << ": "
              << response.status().message() << "\n";
    return std::nullopt;
  }
  if (response->status >= 200 && response->status < 300) return std::move(*response);
  nlohmann::json err = nlohmann::json::parse(response->body, nullptr, false);
  if (err.is_object() && err.contains("error") && err["error"].is_object()) {
    std::cerr << "domicile " << name << ": " << err["error"].value("code", "error") << ": "
              << err["error"].value("message", "") << " (HTTP " << response->status << ")\n";
  } else {
    std::cerr << "domicile " << name << ": HTTP " << response->status << "\n";
  }
  return std::nullopt;
}

}  // namespace domicile::cli
