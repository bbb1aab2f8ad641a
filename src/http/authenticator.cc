#include "http/authenticator.h"

#include "crypto/constant_time.h"
#include "http/request.h"

namespace domicile::http {

Authenticator::Authenticator(std::vector<Credential> credentials)
    : credentials_(std::move(credentials)) {}

absl::StatusOr<const vault::Principal*> Authenticator::Authenticate(
    std::optional<std::string_view> authorization) const {
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError("missing bearer token (Authorization: Bearer <token>)");
  }
  std::string_view value = *authorization;
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() ||
      !EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return absl::UnauthenticatedError("Authorization must be 'Bearer <token>'");
  }
  std::string_view token = value.substr(kScheme.size());
  crypto::Sha256Digest digest = crypto::Sha256(AsBytes(token));
  const vault::Principal* found = nullptr;
  for (const Credential& c : credentials_) {
    // Every credential is compared; the match is remembered without branching out early.
    bool match = crypto::ConstantTimeEquals(digest, c.token_sha256);
    if (match) found = &c.principal;
  }
  if (found == nullptr) return absl::UnauthenticatedError("invalid bearer token");
  return found;
}

}  // namespace domicile::http
