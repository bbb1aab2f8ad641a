// The policy lint: refuses a policy set that would let anyone read (or do anything else to)
// protected data across a border, or let an untrusted employer's staff at it. It evaluates the
// set over every combination of the configured principals' attribute values (entity x location
// x role x team x type, each also absent), and over each configured principal as itself,
// against a protected record of every configured jurisdiction at every configured site, for
// every action, from every source jurisdiction. Rules:
//   1 cross-border: no action on a protected record by a principal located outside the
//     record's jurisdiction;
//   2 untrusted entity: no action on a protected record by a principal whose entity is not
//     trusted for that jurisdiction ([jurisdictions.<J>] entities; none listed = none trusted);
//   3 no grant: no read of a protected record by a User without a valid just-in-time grant
//     (context.grant.valid false), so that no person holds standing access.
// Rules 1 and 2 are checked both without a grant and with a valid grant covering the record: a
// grant never makes a cross-border or untrusted read acceptable.
// This is a check over the configured attribute space, not a proof over every possible
// request: a policy keyed on a purpose string, for example, is only seen with an empty purpose.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policy/policy_set.h"
#include "vault/decider.h"
#include "vault/principal.h"

namespace domicile::vault {

struct LintModel {
  std::vector<Principal> principals;                                 // as configured
  std::map<std::string, std::vector<std::string>> trusted_entities;  // jurisdiction -> entities
  std::vector<std::string> jurisdictions;                            // whose data the node may hold
  std::vector<std::string> sites;                                    // configured site ids
};

struct Counterexample {
  std::string rule;  // "cross-border", "untrusted-entity" or "no-grant"
  Principal principal;
  std::vector<Action> actions;
  std::string jurisdiction;
  std::string site;
  std::string source_jurisdiction;
  std::vector<std::string> permitted_by;
  bool with_grant = false;  // the request carried a valid grant
  std::string ToString() const;
};

struct LintResult {
  // One per (rule, principal attributes, permitting policies), with every action it allows.
  std::vector<Counterexample> counterexamples;
  size_t evaluations = 0;
  bool ok() const { return counterexamples.empty(); }
  // Every counterexample on its own line, at most `limit`, then "... and N more".
  std::string Report(size_t limit = 50) const;
};

LintResult LintPolicies(const policy::PolicySet& policies, const LintModel& model);

}  // namespace domicile::vault
