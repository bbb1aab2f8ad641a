// Policy: one compiled Cedar policy — its effect, its scope (the constraints on principal,
// action and resource), its `when` / `unless` conditions as compiled expressions, and what the
// tools around it need: its id, its annotations and where in which file it was written.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policy/entity_uid.h"
#include "policy/expr.h"

namespace domicile::policy {

enum class Effect { kPermit, kForbid };

std::string_view EffectName(Effect effect);  // "permit" or "forbid"

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in characters
};

// A scope constraint on one of principal, action or resource.
struct ScopeConstraint {
  enum class Kind {
    kAny,   // `principal`
    kEq,    // `principal == E`: uids[0]
    kIn,    // `principal in E`, or `action in [A, B]`: E itself or an ancestor of E; any of uids
    kIs,    // `principal is T`: type
    kIsIn,  // `principal is T in E`: type and uids[0]
  };
  Kind kind = Kind::kAny;
  std::string type;
  std::vector<EntityUid> uids;
  bool list = false;  // written as `in [...]` (action only)

  // The Cedar text of the constraint for variable `var`, e.g. `principal in Team::"a"`.
  std::string ToString(std::string_view var) const;
};

struct Condition {
  bool is_when = true;  // `when { body }`; false for `unless { body }`
  Expr body;
};

struct Policy {
  std::string id;          // the @id annotation, else "policy<N>" (see parser.h)
  bool default_id = true;  // true if id was assigned, not written with @id
  Effect effect = Effect::kPermit;
  std::map<std::string, std::string> annotations;  // name -> value ("" if written bare)
  SourceLocation location;                         // of the policy's first token
  std::string text;                                // the policy's source text
  ScopeConstraint principal;
  ScopeConstraint action;
  ScopeConstraint resource;
  std::vector<Condition> conditions;  // in source order
};

}  // namespace domicile::policy
