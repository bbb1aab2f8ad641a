// GrantRoutes: the /v1/grants routes (docs/api.md), on the access module's Grants service.
//   POST /v1/grants                      request a grant (JSON body, grant.h) -> 201
//   GET  /v1/grants                      every grant, newest first
//   GET  /v1/grants/{id}                 one grant, with its state
//   POST /v1/grants/{id}/approvals       approve: the body is the signed statement -> 200
//   POST /v1/grants/{id}/revoke          end it now -> 200
// Every step that changes a grant answers with the index of its log event.
#pragma once

#include <string>
#include <vector>

#include "access/grants.h"
#include "http/request.h"
#include "http/response.h"
#include "vault/vault.h"

namespace domicile::http {

class GrantRoutes {
 public:
  explicit GrantRoutes(access::Grants* grants) : grants_(grants) {}

  // Whether `seg` (the path's segments) is one of these routes' paths.
  static bool Matches(const std::vector<std::string>& seg);

  // Handles an authenticated request. Blocks while a step's event becomes durable.
  Response Handle(const Request& request, const std::vector<std::string>& seg,
                  const vault::Caller& caller) const;

 private:
  access::Grants* const grants_;
};

}  // namespace domicile::http
