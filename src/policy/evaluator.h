// Evaluator: evaluates compiled policies and expressions for one request, with Cedar's
// semantics (see authorizer.h and docs of each operator in evaluator.cc). It looks up the
// request's principal, action and resource in the entity store once and reuses them.
//
// Not thread-safe; make one per request (it is cheap).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "policy/authorizer.h"
#include "policy/entities.h"
#include "policy/expr.h"
#include "policy/policy.h"
#include "policy/value.h"

namespace domicile::policy {

class Evaluator {
 public:
  // `entities` and `request` must outlive the evaluator.
  Evaluator(const Entities& entities, const Request& request);

  // The request's entities in the store (nullptr if absent): principal, action, resource.
  const Entity* principal_entity() const { return var_entities_[0]; }
  const Entity* action_entity() const { return var_entities_[1]; }
  const Entity* resource_entity() const { return var_entities_[2]; }

  // True if the policy's scope matches the request. Never errors.
  bool ScopeMatches(const Policy& policy) const;

  enum class Outcome { kSatisfied, kNotSatisfied, kError };
  // Evaluates the policy's conditions (not its scope). On kError, *error holds the reason.
  Outcome EvaluateConditions(const Policy& policy, std::string* error);

  // Evaluates an expression; InvalidArgument with the evaluation error's message on error.
  absl::StatusOr<Value> Evaluate(const Expr& expr);

 private:
  bool Eval(const Expr& e, Value* out);
  bool EvalBool(const Expr& e, bool* out);
  bool EvalLong(const Expr& e, int64_t* out);
  // For a request variable or an entity literal, the uid without building a Value.
  const EntityUid* DirectUid(const Expr& e) const;
  bool EvalEntity(const Expr& e, Value* scratch, const EntityUid** out);
  const Entity* FindEntity(const EntityUid& uid) const;
  const Value& VarValue(Var var);
  bool GetAttr(const Expr& e, Value* out);
  bool Has(const Expr& e, bool* out);
  bool In(const Expr& e, bool* out);
  bool Arith(const Expr& e, Value* out);
  bool SetOp(const Expr& e, bool* out);
  bool ScopeConstraintMatches(const ScopeConstraint& c, int var) const;
  bool TypeError(std::string_view expected, const Value& got);
  bool Fail(std::string message);

  const Entities& entities_;
  const Request& request_;
  const EntityUid* var_uids_[3];
  const Entity* var_entities_[3];
  Value var_values_[4];
  bool var_built_[4] = {false, false, false, false};
  std::string error_;
};

}  // namespace domicile::policy
