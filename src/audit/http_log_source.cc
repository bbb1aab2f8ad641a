#include "audit/http_log_source.h"

#include "audit/directory_log_source.h"
#include "fmt/format.h"
#include "util/status_macros.h"

namespace domicile::audit {

absl::StatusOr<LogUrl> ParseLogUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("log URL \"{}\": want http(s)://host[:port][/path]", url));
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("log URL \"{}\": a query or fragment is not allowed", url));
  }
  const size_t path_start = url.find('/', scheme_end + 3);
  LogUrl out;
  out.base = std::string(url.substr(0, path_start));
  std::string_view path = path_start == std::string_view::npos ? "" : url.substr(path_start);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.prefix = path.empty() ? std::string(kNodeLogPrefix) : std::string(path);
  RETURN_IF_ERROR(http::ParseBaseUrl(out.base).status());
  return out;
}

absl::StatusOr<std::unique_ptr<HttpLogSource>> HttpLogSource::Create(std::string_view url,
                                                                     http::ClientOptions options) {
  ASSIGN_OR_RETURN(LogUrl parsed, ParseLogUrl(url));
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> client,
                   http::Client::Create(parsed.base, std::move(options)));
  return std::unique_ptr<HttpLogSource>(new HttpLogSource(std::move(parsed), std::move(client)));
}

absl::StatusOr<std::string> HttpLogSource::Fetch(std::string_view path) {
  RETURN_IF_ERROR(CheckLogPath(path));
  const std::string target = fmt::format("{}/{}", url_.prefix, path);
  absl::StatusOr<http::ClientResponse> response = client_->Do("GET", target);
  if (!response.ok()) {
    return absl::UnavailableError(
        fmt::format("GET {}: {}", Describe(path), std::string(response.status().message())));
  }
  if (response->status == 404 || response->status == 410) {
    return absl::NotFoundError(fmt::format("GET {}: HTTP {}", Describe(path), response->status));
  }
  if (response->status != 200) {
    return absl::UnavailableError(fmt::format("GET {}: HTTP {}", Describe(path), response->status));
  }
  if (auto encoding = response->GetHeader("Content-Encoding");
      encoding.has_value() && !http::EqualsIgnoreCase(*encoding, "identity")) {
    return absl::UnimplementedError(
        fmt::format("GET {}: unrequested Content-Encoding {}", Describe(path), *encoding));
  }
  return std::move(response->body);
}

std::string HttpLogSource::Describe(std::string_view path) const {
  return fmt::format("{}{}/{}", url_.base, url_.prefix, path);
}

}  // namespace domicile::audit
