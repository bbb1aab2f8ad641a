#include "policy/evaluator.h"

#include "fmt/format.h"

namespace domicile::policy {
namespace {

using Op = Expr::Op;

}  // namespace

Evaluator::Evaluator(const Entities& entities, const Request& request)
    : entities_(entities),
      request_(request),
      var_uids_{&request.principal, &request.action, &request.resource},
      var_entities_{entities.Find(request.principal), entities.Find(request.action),
                    entities.Find(request.resource)} {}

bool Evaluator::Fail(std::string message) {
  error_ = std::move(message);
  return false;
}

bool Evaluator::TypeError(std::string_view expected, const Value& got) {
  return Fail(fmt::format("type error: expected {}, got {} {}", expected, KindName(got.kind()),
                          got.ToString()));
}

const Entity* Evaluator::FindEntity(const EntityUid& uid) const {
  for (int i = 0; i < 3; ++i) {
    if (var_uids_[i] == &uid) return var_entities_[i];
  }
  return entities_.Find(uid);
}

const Value& Evaluator::VarValue(Var var) {
  int v = static_cast<int>(var);
  if (var == Var::kContext) return request_.context;
  if (!var_built_[v]) {
    var_values_[v] = Value::Entity(*var_uids_[v]);
    var_built_[v] = true;
  }
  return var_values_[v];
}

bool Evaluator::ScopeConstraintMatches(const ScopeConstraint& c, int var) const {
  const EntityUid& uid = *var_uids_[var];
  const Entity* entity = var_entities_[var];
  switch (c.kind) {
    case ScopeConstraint::Kind::kAny:
      return true;
    case ScopeConstraint::Kind::kEq:
      return uid == c.uids[0];
    case ScopeConstraint::Kind::kIs:
      return uid.type == c.type;
    case ScopeConstraint::Kind::kIsIn:
      if (uid.type != c.type) return false;
      [[fallthrough]];
    case ScopeConstraint::Kind::kIn:
      for (const EntityUid& target : c.uids) {
        if (uid == target || (entity != nullptr && entities_.HasAncestor(*entity, target))) {
          return true;
        }
      }
      return false;
  }
  return false;
}

bool Evaluator::ScopeMatches(const Policy& policy) const {
  return ScopeConstraintMatches(policy.principal, 0) && ScopeConstraintMatches(policy.action, 1) &&
         ScopeConstraintMatches(policy.resource, 2);
}

Evaluator::Outcome Evaluator::EvaluateConditions(const Policy& policy, std::string* error) {
  for (const Condition& c : policy.conditions) {
    bool b = false;
    if (!EvalBool(c.body, &b)) {
      *error = std::move(error_);
      return Outcome::kError;
    }
    if (b != c.is_when) return Outcome::kNotSatisfied;
  }
  return Outcome::kSatisfied;
}

absl::StatusOr<Value> Evaluator::Evaluate(const Expr& expr) {
  Value v;
  if (!Eval(expr, &v)) return absl::InvalidArgumentError(error_);
  return v;
}

const EntityUid* Evaluator::DirectUid(const Expr& e) const {
  if (e.op == Op::kVar && e.var != Var::kContext) return var_uids_[static_cast<int>(e.var)];
  if (e.op == Op::kLiteral && e.value.is_entity()) return &e.value.entity_uid();
  return nullptr;
}

bool Evaluator::EvalEntity(const Expr& e, Value* scratch, const EntityUid** out) {
  if ((*out = DirectUid(e)) != nullptr) return true;
  if (!Eval(e, scratch)) return false;
  if (!scratch->is_entity()) return TypeError("entity", *scratch);
  *out = &scratch->entity_uid();
  return true;
}

bool Evaluator::EvalBool(const Expr& e, bool* out) {
  Value v;
  if (!Eval(e, &v)) return false;
  if (!v.is_bool()) return TypeError("bool", v);
  *out = v.bool_value();
  return true;
}

bool Evaluator::EvalLong(const Expr& e, int64_t* out) {
  Value v;
  if (!Eval(e, &v)) return false;
  if (!v.is_long()) return TypeError("long", v);
  *out = v.long_value();
  return true;
}

// `e.a` / `e["a"]`: e must be a record or an entity; a missing attribute, or an entity absent
// from the store, is an error.
bool Evaluator::GetAttr(const Expr& e, Value* out) {
  const Expr& target = e.args[0];
  const Value::RecordFields* fields = nullptr;
  const std::map<std::string, Value>* attrs = nullptr;
  const EntityUid* uid = DirectUid(target);
  Value v;
  if (uid == nullptr) {
    if (target.op == Op::kVar && request_.context.is_record()) {
      fields = &request_.context.record_fields();
    } else {
      if (!Eval(target, &v)) return false;
      if (v.is_record()) {
        fields = &v.record_fields();
      } else if (v.is_entity()) {
        uid = &v.entity_uid();
      } else {
        return TypeError("record or entity", v);
      }
    }
  }
  if (uid != nullptr) {
    const Entity* entity = FindEntity(*uid);
    if (entity == nullptr) {
      return Fail(fmt::format("entity {} does not exist", uid->ToString()));
    }
    attrs = &entity->attrs;
    auto it = attrs->find(e.name);
    if (it == attrs->end()) {
      return Fail(fmt::format("{} does not have the attribute `{}`", uid->ToString(), e.name));
    }
    *out = it->second;
    return true;
  }
  auto it = fields->find(e.name);
  if (it == fields->end()) {
    return Fail(fmt::format("record does not have the attribute `{}`", e.name));
  }
  *out = it->second;
  return true;
}

// `e has a`: false (not an error) when the attribute or the entity is absent.
bool Evaluator::Has(const Expr& e, bool* out) {
  const Expr& target = e.args[0];
  const EntityUid* uid = DirectUid(target);
  Value v;
  if (uid == nullptr) {
    const Value* r = &v;
    if (target.op == Op::kVar) {
      r = &request_.context;
    } else if (!Eval(target, &v)) {
      return false;
    }
    if (r->is_record()) {
      *out = r->record_fields().count(e.name) > 0;
      return true;
    }
    if (!r->is_entity()) return TypeError("record or entity", *r);
    uid = &r->entity_uid();
  }
  const Entity* entity = FindEntity(*uid);
  *out = entity != nullptr && entity->attrs.count(e.name) > 0;
  return true;
}

// `a in b`: a must be an entity; b an entity or a set of entities. True if a equals b (or an
// element of b) or has it as an ancestor.
bool Evaluator::In(const Expr& e, bool* out) {
  Value lv, rv;
  const EntityUid* left = nullptr;
  if (!EvalEntity(e.args[0], &lv, &left)) return false;
  const EntityUid* right = DirectUid(e.args[1]);
  if (right == nullptr) {
    if (!Eval(e.args[1], &rv)) return false;
    if (rv.is_entity()) {
      right = &rv.entity_uid();
    } else if (!rv.is_set()) {
      return TypeError("entity or set of entities", rv);
    }
  }
  const Entity* entity = FindEntity(*left);
  if (right != nullptr) {
    *out = *left == *right || (entity != nullptr && entities_.HasAncestor(*entity, *right));
    return true;
  }
  const Value::SetElements& elements = rv.set_elements();
  for (const Value& el : elements) {
    if (!el.is_entity()) return TypeError("set of entities", rv);
  }
  *out = false;
  for (const Value& el : elements) {
    const EntityUid& target = el.entity_uid();
    if (*left == target || (entity != nullptr && entities_.HasAncestor(*entity, target))) {
      *out = true;
      break;
    }
  }
  return true;
}

bool Evaluator::Arith(const Expr& e, Value* out) {
  int64_t a = 0, b = 0, r = 0;
  if (!EvalLong(e.args[0], &a) || !EvalLong(e.args[1], &b)) return false;
  bool overflow = false;
  std::string_view verb;
  switch (e.op) {
    case Op::kAdd:
      overflow = __builtin_add_overflow(a, b, &r);
      verb = "add";
      break;
    case Op::kSub:
      overflow = __builtin_sub_overflow(a, b, &r);
      verb = "subtract";
      break;
    default:
      overflow = __builtin_mul_overflow(a, b, &r);
      verb = "multiply";
      break;
  }
  if (overflow) return Fail(fmt::format("integer overflow: cannot {} {} and {}", verb, a, b));
  *out = Value::Long(r);
  return true;
}

bool Evaluator::SetOp(const Expr& e, bool* out) {
  Value set, arg;
  if (!Eval(e.args[0], &set) || !Eval(e.args[1], &arg)) return false;
  if (!set.is_set()) return TypeError("set", set);
  if (e.op == Op::kContains) {
    *out = set.SetContains(arg);
    return true;
  }
  if (!arg.is_set()) return TypeError("set", arg);
  const Value::SetElements& a = set.set_elements();
  const Value::SetElements& b = arg.set_elements();
  // Both are sorted: walk them together.
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    int c = Value::Compare(a[i], b[j]);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  *out = e.op == Op::kContainsAll ? common == b.size() : common > 0;
  return true;
}

bool Evaluator::Eval(const Expr& e, Value* out) {
  switch (e.op) {
    case Op::kLiteral:
      *out = e.value;
      return true;
    case Op::kVar:
      *out = VarValue(e.var);
      return true;
    case Op::kIf: {
      bool c = false;
      if (!EvalBool(e.args[0], &c)) return false;
      return Eval(e.args[c ? 1 : 2], out);
    }
    case Op::kAnd:
    case Op::kOr: {
      // The right side is evaluated only if the left does not decide.
      bool b = false;
      if (!EvalBool(e.args[0], &b)) return false;
      if (b == (e.op == Op::kOr)) {
        *out = Value::Bool(b);
        return true;
      }
      if (!EvalBool(e.args[1], &b)) return false;
      *out = Value::Bool(b);
      return true;
    }
    case Op::kNot: {
      bool b = false;
      if (!EvalBool(e.args[0], &b)) return false;
      *out = Value::Bool(!b);
      return true;
    }
    case Op::kNeg: {
      int64_t i = 0;
      if (!EvalLong(e.args[0], &i)) return false;
      if (i == INT64_MIN) return Fail(fmt::format("integer overflow: cannot negate {}", i));
      *out = Value::Long(-i);
      return true;
    }
    case Op::kEq:
    case Op::kNe: {
      // Never an error: values of different kinds are just unequal.
      bool eq;
      const EntityUid* a = DirectUid(e.args[0]);
      const EntityUid* b = DirectUid(e.args[1]);
      if (a != nullptr && b != nullptr) {
        eq = *a == *b;
      } else {
        Value l, r;
        if (!Eval(e.args[0], &l) || !Eval(e.args[1], &r)) return false;
        eq = l == r;
      }
      *out = Value::Bool(eq == (e.op == Op::kEq));
      return true;
    }
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      int64_t a = 0, b = 0;
      if (!EvalLong(e.args[0], &a) || !EvalLong(e.args[1], &b)) return false;
      bool r = e.op == Op::kLt   ? a < b
               : e.op == Op::kLe ? a <= b
               : e.op == Op::kGt ? a > b
                                 : a >= b;
      *out = Value::Bool(r);
      return true;
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
      return Arith(e, out);
    case Op::kIn: {
      bool b = false;
      if (!In(e, &b)) return false;
      *out = Value::Bool(b);
      return true;
    }
    case Op::kContains:
    case Op::kContainsAll:
    case Op::kContainsAny: {
      bool b = false;
      if (!SetOp(e, &b)) return false;
      *out = Value::Bool(b);
      return true;
    }
    case Op::kGetAttr:
      return GetAttr(e, out);
    case Op::kHas: {
      bool b = false;
      if (!Has(e, &b)) return false;
      *out = Value::Bool(b);
      return true;
    }
    case Op::kLike: {
      Value s;
      if (!Eval(e.args[0], &s)) return false;
      if (!s.is_string()) return TypeError("string", s);
      *out = Value::Bool(e.pattern->Matches(s.string_value()));
      return true;
    }
    case Op::kIs: {
      Value scratch;
      const EntityUid* uid = nullptr;
      if (!EvalEntity(e.args[0], &scratch, &uid)) return false;
      *out = Value::Bool(uid->type == e.name);
      return true;
    }
    case Op::kSet: {
      std::vector<Value> elements(e.args.size());
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (!Eval(e.args[i], &elements[i])) return false;
      }
      *out = Value::Set(std::move(elements));
      return true;
    }
    case Op::kRecord: {
      Value::RecordFields fields;
      for (size_t i = 0; i < e.args.size(); ++i) {
        Value v;
        if (!Eval(e.args[i], &v)) return false;
        fields.emplace(e.keys[i], std::move(v));
      }
      *out = Value::Record(std::move(fields));
      return true;
    }
  }
  return Fail("internal error: unknown expression");
}

}  // namespace domicile::policy
