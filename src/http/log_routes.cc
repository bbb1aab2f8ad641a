#include "http/log_routes.h"

#include <charconv>
#include <map>

#include "fmt/format.h"
#include "http/status_mapping.h"
#include "nlohmann/json.hpp"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::http {
namespace {

// A decimal uint64 without sign, leading zeroes or trailing junk.
absl::StatusOr<uint64_t> ParseIndex(std::string_view name, std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      (text.size() > 1 && text[0] == '0')) {
    return absl::InvalidArgumentError(
        fmt::format("{} must be a decimal number without leading zeroes, not '{}'", name, text));
  }
  return value;
}

absl::StatusOr<uint64_t> RequiredIndex(const std::map<std::string, std::string>& q,
                                       std::string_view name) {
  auto it = q.find(std::string(name));
  if (it == q.end()) {
    return absl::InvalidArgumentError(fmt::format("query parameter '{}' is required", name));
  }
  return ParseIndex(name, it->second);
}

nlohmann::json HashesJson(const std::vector<tlog::Hash>& hashes) {
  nlohmann::json out = nlohmann::json::array();
  for (const tlog::Hash& h : hashes) out.push_back(Base64Encode(h));
  return out;
}

Response Bytes200(std::string content_type, Bytes body, std::string cache_control) {
  Response r{200, std::move(content_type), {}, ToString(body)};
  r.headers.push_back({"Cache-Control", std::move(cache_control)});
  return r;
}

}  // namespace

LogRoutes::LogRoutes(const tlog::Log* log, std::string verifier_key)
    : log_(log), verifier_key_(std::move(verifier_key)) {}

bool LogRoutes::Matches(const std::vector<std::string>& seg) {
  if (!seg.empty() && seg[0] == "log") return true;
  return seg.size() >= 2 && seg[0] == "v1" && seg[1] == "log";
}

Response LogRoutes::Handle(const Request& request, const std::vector<std::string>& seg) const {
  if (request.method != "GET" && request.method != "HEAD") {
    return ErrorResponse(MethodNotAllowedError(request));
  }
  if (seg[0] == "log") {
    if (seg.size() == 2 && seg[1] == "checkpoint") {
      if (!request.query.empty()) {
        return ErrorResponse(absl::InvalidArgumentError("/log/checkpoint takes no query"));
      }
      absl::StatusOr<std::string> checkpoint = log_->LatestCheckpoint();
      if (!checkpoint.ok()) return ErrorResponse(checkpoint.status());
      Response r{200, "text/plain; charset=utf-8", {}, std::move(*checkpoint)};
      r.headers.push_back({"Cache-Control", "no-cache"});
      return r;
    }
    if (seg.size() >= 3 && seg[1] == "tile") return Tile(request);
  } else {
    if (seg.size() == 3 && seg[2] == "key") {
      return Response{200, "text/plain; charset=utf-8", {}, verifier_key_ + "\n"};
    }
    if (seg.size() == 4 && seg[2] == "entries") return Entry(seg[3]);
    if (seg.size() == 4 && seg[2] == "proof" && seg[3] == "inclusion") return Inclusion(request);
    if (seg.size() == 4 && seg[2] == "proof" && seg[3] == "consistency") {
      return Consistency(request);
    }
  }
  return ErrorResponse(absl::NotFoundError(fmt::format("no route for {}", request.path)));
}

Response LogRoutes::Tile(const Request& request) const {
  if (!request.query.empty()) {
    return ErrorResponse(absl::InvalidArgumentError("tiles take no query"));
  }
  constexpr std::string_view kPrefix = "/log/";
  absl::StatusOr<tlog::TileRef> ref =
      tlog::ParseTilePath(std::string_view(request.path).substr(kPrefix.size()));
  if (!ref.ok()) {
    return ErrorResponse(absl::NotFoundError(
        fmt::format("no such tile {}: {}", request.path, std::string(ref.status().message()))));
  }
  absl::StatusOr<Bytes> body = ref->entries
                                   ? log_->ReadEntryBundle(ref->index, ref->partial_width)
                                   : log_->ReadTile(ref->level, ref->index, ref->partial_width);
  if (!body.ok()) return ErrorResponse(body.status());
  // A full tile never changes; a partial one is replaced by a longer one, under another name,
  // so it never changes either.
  return Bytes200("application/octet-stream", std::move(*body),
                  "public, max-age=31536000, immutable");
}

Response LogRoutes::Entry(std::string_view index_text) const {
  absl::StatusOr<uint64_t> index = ParseIndex("the entry index", index_text);
  if (!index.ok()) return ErrorResponse(index.status());
  absl::StatusOr<Bytes> entry = log_->ReadEntry(*index);
  if (!entry.ok()) return ErrorResponse(entry.status());
  Response r =
      Bytes200("application/json", std::move(*entry), "public, max-age=31536000, immutable");
  r.headers.push_back({"Domicile-Log-Index", std::to_string(*index)});
  return r;
}

Response LogRoutes::Inclusion(const Request& request) const {
  absl::StatusOr<std::map<std::string, std::string>> q =
      ParseQueryParams(request, {"index", "size"});
  if (!q.ok()) return ErrorResponse(q.status());
  absl::StatusOr<uint64_t> index = RequiredIndex(*q, "index");
  if (!index.ok()) return ErrorResponse(index.status());
  absl::StatusOr<uint64_t> size = RequiredIndex(*q, "size");
  if (!size.ok()) return ErrorResponse(size.status());
  absl::StatusOr<std::vector<tlog::Hash>> proof = log_->InclusionProof(*index, *size);
  if (!proof.ok()) return ErrorResponse(proof.status());
  absl::StatusOr<Bytes> entry = log_->ReadEntry(*index);
  if (!entry.ok()) return ErrorResponse(entry.status());
  return JsonResponse(200, {{"index", *index},
                            {"size", *size},
                            {"leaf_hash", Base64Encode(tlog::LeafHash(*entry))},
                            {"hashes", HashesJson(*proof)}});
}

Response LogRoutes::Consistency(const Request& request) const {
  absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {"old", "new"});
  if (!q.ok()) return ErrorResponse(q.status());
  absl::StatusOr<uint64_t> old_size = RequiredIndex(*q, "old");
  if (!old_size.ok()) return ErrorResponse(old_size.status());
  absl::StatusOr<uint64_t> new_size = RequiredIndex(*q, "new");
  if (!new_size.ok()) return ErrorResponse(new_size.status());
  absl::StatusOr<std::vector<tlog::Hash>> proof = log_->ConsistencyProof(*old_size, *new_size);
  if (!proof.ok()) return ErrorResponse(proof.status());
  return JsonResponse(200,
                      {{"old", *old_size}, {"new", *new_size}, {"hashes", HashesJson(*proof)}});
}

}  // namespace domicile::http
