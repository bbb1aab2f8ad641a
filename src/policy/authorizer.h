// The authorizer: Cedar's decision procedure over a PolicySet and an entity store.
//
//   - A policy is satisfied when its scope matches and each `when` body evaluates to true and
//     each `unless` body to false, clauses evaluated in order with short-circuit.
//   - A policy whose evaluation errors (missing attribute or entity, type error, overflow) is
//     skipped: it neither permits nor forbids, and is reported in `errors`.
//   - Any satisfied forbid denies; otherwise any satisfied permit allows; otherwise the request
//     is denied by default.
//
// Thread safety: IsAuthorized may be called concurrently on shared sets and stores.
#pragma once

#include <string>
#include <vector>

#include "policy/entities.h"
#include "policy/entity_uid.h"
#include "policy/policy.h"
#include "policy/policy_set.h"
#include "policy/value.h"

namespace domicile::policy {

struct Request {
  EntityUid principal;
  EntityUid action;
  EntityUid resource;
  Value context = Value::Record({});  // must be a record
};

struct Diagnostic {
  std::string policy_id;  // empty for an error about the request itself
  std::string message;
};

struct Response {
  bool allow = false;
  // The satisfied permits when allowed; the satisfied forbids when denied by a forbid; empty
  // when denied by default. In policy order.
  std::vector<std::string> determining;
  std::vector<Diagnostic> errors;  // policies skipped because their evaluation errored
};

Response IsAuthorized(const PolicySet& policies, const Entities& entities, const Request& request);

}  // namespace domicile::policy
