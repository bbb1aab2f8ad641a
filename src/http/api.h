// Api: the node's HTTP routes, mapping requests onto the Vault. Every route but /healthz needs a
// bearer token. Errors go through ErrorResponse (one shape, one status mapping). The routes and
// their exact forms are in docs/api.md.
#pragma once

#include "http/authenticator.h"
#include "http/request.h"
#include "http/response.h"
#include "util/clock.h"
#include "vault/policy_admin.h"
#include "vault/vault.h"

namespace domicile::http {

class Api {
 public:
  // None of the pointers are owned; all must outlive the Api. `policy_admin` may be null (then
  // /v1/policy is not served).
  Api(vault::Vault* vault, const Authenticator* authenticator, const Clock* clock,
      vault::PolicyAdmin* policy_admin = nullptr);

  // Handles one request. Thread-safe.
  Response Handle(const Request& request) const;

 private:
  Response Subjects(const Request& request, const vault::Caller& caller) const;
  Response Policy(const Request& request, const vault::Caller& caller) const;
  Response Record(const Request& request, const vault::Caller& caller, std::string_view subject,
                  std::string_view key) const;
  Response Records(const Request& request, const vault::Caller& caller,
                   std::string_view subject) const;

  vault::Vault* vault_;
  const Authenticator* authenticator_;
  const Clock* clock_;
  vault::PolicyAdmin* policy_admin_;
};

}  // namespace domicile::http
