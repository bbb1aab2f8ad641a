// A tlog-tiles log served over HTTP(S): GET <url>/checkpoint and <url>/tile/... on one
// kept-alive connection (http::Client). A domicile node serves its log under /log, so a URL
// with no path ("http://host:port") means that node's log and "/log" is appended; any other
// path ("http://host:port/log", "https://example.com/tevere") is used as the log's prefix.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "audit/log_source.h"
#include "http/client.h"

namespace domicile::audit {

// The prefix a domicile node serves its log under.
inline constexpr std::string_view kNodeLogPrefix = "/log";

// "http(s)://host[:port]" and the log's path prefix ("" or "/a/b", no trailing slash).
struct LogUrl {
  std::string base;
  std::string prefix;
};
// Splits `url`; a URL without a path (or with just "/") gets kNodeLogPrefix. InvalidArgument
// for a URL that is not http(s), or that has a query or fragment.
absl::StatusOr<LogUrl> ParseLogUrl(std::string_view url);

class HttpLogSource final : public LogSource {
 public:
  // Does not connect yet. InvalidArgument for a bad URL (see ParseLogUrl, http::Client).
  static absl::StatusOr<std::unique_ptr<HttpLogSource>> Create(std::string_view url,
                                                               http::ClientOptions options = {});

  // 200 gives the body; 404 and 410 give NotFound; any other answer or a connection failure
  // gives Unavailable naming the URL. A compressed body (Content-Encoding other than
  // identity) is refused: this client does not ask for one.
  absl::StatusOr<std::string> Fetch(std::string_view path) override;
  std::string Describe(std::string_view path) const override;

 private:
  HttpLogSource(LogUrl url, std::unique_ptr<http::Client> client)
      : url_(std::move(url)), client_(std::move(client)) {}

  LogUrl url_;
  std::unique_ptr<http::Client> client_;
};

}  // namespace domicile::audit
