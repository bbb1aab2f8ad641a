#include "custodian/custodian_service.h"

#include <string>
#include <utility>

#include "crypto/constant_time.h"
#include "crypto/sha256.h"
#include "custodian/justification_json.h"
#include "fmt/format.h"
#include "http/status_mapping.h"
#include "util/encoding.h"
#include "util/errors.h"

namespace domicile::custodian {
namespace {

constexpr std::string_view kPrefix = "/v1/custodian/";

// "/a/b" -> {"a", "b"}; the log's and witness's paths carry no escapes.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

absl::StatusOr<nlohmann::json> Body(const http::Request& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  return body;
}

absl::StatusOr<std::string> KekOf(const nlohmann::json& body) {
  auto it = body.find("kek");
  if (it == body.end() || !it->is_string()) {
    return absl::InvalidArgumentError("'kek' must be a string");
  }
  std::string kek = it->get<std::string>();
  if (absl::Status s = keys::ValidateKeyId(kek); !s.ok()) return s;
  return kek;
}

http::Response KeyResponse(const crypto::SecretBytes& key, const nlohmann::json& extra = nullptr) {
  nlohmann::json body = {{"data_key", Base64Encode(key.view())}};
  if (extra.is_object()) body.update(extra);
  http::Response r = http::JsonResponse(200, body);
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

}  // namespace

CustodianService::CustodianService(CustodianServiceOptions options)
    : options_(std::move(options)),
      blocking_(std::make_unique<ThreadPool>(std::max<size_t>(1, options_.blocking_threads))) {}

bool CustodianService::Authenticated(const http::Request& request) const {
  std::optional<std::string_view> auth = request.GetHeader("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!auth.has_value() || !auth->starts_with(kBearer)) return false;
  const crypto::Sha256Digest digest = crypto::Sha256(AsBytes(auth->substr(kBearer.size())));
  bool match = false;
  for (const auto& token : options_.node_tokens) {
    match |= crypto::ConstantTimeEquals(ByteView(digest.data(), digest.size()),
                                        ByteView(token.data(), token.size()));
  }
  return match;
}

void CustodianService::Handle(http::Request request, http::Responder respond) const {
  const std::vector<std::string> seg = Segments(request.path);
  if (options_.log_routes != nullptr && http::LogRoutes::Matches(seg)) {
    return respond(options_.log_routes->Handle(request, seg));
  }
  if (options_.witness_routes != nullptr && http::WitnessRoutes::Matches(seg)) {
    auto shared = std::make_shared<std::pair<http::Request, std::vector<std::string>>>(
        std::move(request), seg);
    return blocking_->Post([this, shared, respond = std::move(respond)] {
      respond(options_.witness_routes->Handle(shared->first, shared->second));
    });
  }
  if (!request.path.starts_with(kPrefix)) {
    return respond(http::ErrorResponse(absl::NotFoundError(
        fmt::format("no such resource '{}' on the key custodian", request.path))));
  }
  if (!Authenticated(request)) {
    return respond(http::ErrorResponse(
        absl::UnauthenticatedError("the key custodian answers only nodes it knows: send "
                                   "Authorization: Bearer <node token>")));
  }
  if (request.method != "POST") {
    return respond(http::ErrorResponse(http::MethodNotAllowedError(request)));
  }
  if (request.path == "/v1/custodian/unwrap") {
    absl::StatusOr<nlohmann::json> body = Body(request);
    if (!body.ok()) return respond(http::ErrorResponse(body.status()));
    absl::StatusOr<vault::Justification> why =
        JustificationFromJson(body->value("justification", nlohmann::json()));
    if (!why.ok()) return respond(http::ErrorResponse(why.status()));
    absl::StatusOr<keys::WrappedDataKey> wrapped =
        WrappedKeyFromJson(body->value("wrapped", nlohmann::json()));
    if (!wrapped.ok()) return respond(http::ErrorResponse(wrapped.status()));
    return options_.custodian->Unwrap(
        *why, *wrapped, [respond = std::move(respond)](absl::StatusOr<crypto::SecretBytes> key) {
          if (!key.ok()) return respond(http::ErrorResponse(key.status()));
          respond(KeyResponse(*key));
        });
  }
  auto shared = std::make_shared<http::Request>(std::move(request));
  blocking_->Post(
      [this, shared, respond = std::move(respond)] { respond(HandleBlocking(*shared)); });
}

http::Response CustodianService::HandleBlocking(const http::Request& request) const {
  absl::StatusOr<nlohmann::json> body = Body(request);
  if (!body.ok()) return http::ErrorResponse(body.status());
  if (request.path == "/v1/custodian/data-keys") {
    absl::StatusOr<vault::Justification> why =
        JustificationFromJson(body->value("justification", nlohmann::json()));
    if (!why.ok()) return http::ErrorResponse(why.status());
    absl::StatusOr<std::string> kek = KekOf(*body);
    if (!kek.ok()) return http::ErrorResponse(kek.status());
    absl::StatusOr<keys::NewDataKey> fresh = options_.custodian->NewDataKey(*why, *kek);
    if (!fresh.ok()) return http::ErrorResponse(fresh.status());
    return KeyResponse(fresh->plaintext, {{"wrapped", WrappedKeyToJson(fresh->wrapped)}});
  }
  if (request.path == "/v1/custodian/keks") {
    absl::StatusOr<std::string> kek = KekOf(*body);
    if (!kek.ok()) return http::ErrorResponse(kek.status());
    if (absl::Status s = options_.custodian->EnsureKek(*kek); !s.ok()) {
      return http::ErrorResponse(s);
    }
    return http::JsonResponse(200, {{"kek", *kek}});
  }
  if (request.path == "/v1/custodian/keks/destroy") {
    absl::StatusOr<vault::Justification> why =
        JustificationFromJson(body->value("justification", nlohmann::json()));
    if (!why.ok()) return http::ErrorResponse(why.status());
    absl::StatusOr<std::string> kek = KekOf(*body);
    if (!kek.ok()) return http::ErrorResponse(kek.status());
    if (absl::Status s = options_.custodian->DestroyKek(*why, *kek); !s.ok()) {
      return http::ErrorResponse(s);
    }
    return http::JsonResponse(200, {{"kek", *kek}, {"destroyed", true}});
  }
  if (request.path == "/v1/custodian/revocations") {
    auto it = body->find("grant");
    if (it == body->end() || !it->is_string() || it->get<std::string>().empty()) {
      return http::ErrorResponse(absl::InvalidArgumentError("'grant' must be a grant id"));
    }
    if (absl::Status s = options_.custodian->GrantRevoked(it->get<std::string>()); !s.ok()) {
      return http::ErrorResponse(s);
    }
    return http::JsonResponse(200, {{"grant", it->get<std::string>()}});
  }
  return http::ErrorResponse(
      absl::NotFoundError(fmt::format("no such resource '{}' on the key custodian", request.path)));
}

}  // namespace domicile::custodian
