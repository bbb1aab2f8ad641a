// Authenticator: turns a bearer token into a principal. The configuration holds only the
// SHA-256 of each token; a presented token is hashed and compared against every known hash in
// constant time (no early exit, no lookup keyed on the secret), so timing reveals nothing about
// which hash, or how much of one, matched.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/sha256.h"
#include "vault/principal.h"

namespace domicile::http {

struct Credential {
  crypto::Sha256Digest token_sha256;
  vault::Principal principal;
};

class Authenticator {
 public:
  explicit Authenticator(std::vector<Credential> credentials);

  // `authorization` is the Authorization header, if any. Unauthenticated when absent, not of
  // the form "Bearer <token>", or matching no credential. The returned pointer lives as long
  // as the Authenticator.
  absl::StatusOr<const vault::Principal*> Authenticate(
      std::optional<std::string_view> authorization) const;

 private:
  std::vector<Credential> credentials_;
};

}  // namespace domicile::http
