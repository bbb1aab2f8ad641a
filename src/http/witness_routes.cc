#include "http/witness_routes.h"

#include <algorithm>

#include "crypto/sha256.h"
#include "fmt/format.h"
#include "http/status_mapping.h"
#include "util/encoding.h"

namespace domicile::http {
namespace {

constexpr std::string_view kPrefix = "witness";
constexpr std::string_view kAddCheckpoint = "add-checkpoint";

// The segments after the prefix: all of them at the root, those after "witness" below it.
std::vector<std::string> Rest(const std::vector<std::string>& seg) {
  if (!seg.empty() && seg[0] == kPrefix) return {seg.begin() + 1, seg.end()};
  return seg;
}

bool IsOriginHash(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Response Text(int status, std::string body) {
  return Response{status, std::string(tlog::kWitnessTextContentType), {}, std::move(body)};
}

}  // namespace

WitnessRoutes::WitnessRoutes(tlog::Witness* witness) : witness_(witness) {}

bool WitnessRoutes::Matches(const std::vector<std::string>& segments) {
  const std::vector<std::string> rest = Rest(segments);
  if (rest.size() == 1 && rest[0] == kAddCheckpoint) return true;
  return rest.size() == 2 && IsOriginHash(rest[0]) && rest[1] == "checkpoint";
}

Response WitnessRoutes::Handle(const Request& request,
                               const std::vector<std::string>& segments) const {
  const std::vector<std::string> rest = Rest(segments);
  if (!request.query.empty()) {
    return ErrorResponse(
        absl::InvalidArgumentError(fmt::format("{} takes no query", request.path)));
  }
  if (rest.size() == 1) {
    if (request.method != "POST") return ErrorResponse(MethodNotAllowedError(request));
    return AddCheckpoint(request);
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return ErrorResponse(MethodNotAllowedError(request));
  }
  return Checkpoint(rest[0]);
}

Response WitnessRoutes::AddCheckpoint(const Request& request) const {
  tlog::AddCheckpointResponse answer = witness_->AddCheckpoint(request.body);
  Response response{answer.status, std::move(answer.content_type), {}, std::move(answer.body)};
  response.headers.push_back({"Cache-Control", "no-store"});
  return response;
}

Response WitnessRoutes::Checkpoint(const std::string& origin_hash) const {
  for (const std::string& origin : witness_->Origins()) {
    if (HexEncode(crypto::Sha256(AsBytes(origin))) != origin_hash) continue;
    absl::StatusOr<std::string> checkpoint = witness_->LatestCheckpoint(origin);
    if (absl::IsNotFound(checkpoint.status())) {
      return Text(404, fmt::format("this witness has cosigned no checkpoint of {}\n", origin));
    }
    if (!checkpoint.ok()) return ErrorResponse(checkpoint.status());
    Response response = Text(200, *std::move(checkpoint));
    response.headers.push_back({"Cache-Control", "no-cache"});
    return response;
  }
  return Text(404,
              fmt::format("this witness knows no log whose origin hashes to {}\n", origin_hash));
}

}  // namespace domicile::http
