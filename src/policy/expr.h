// Expr: a Cedar expression in the compiled form the evaluator walks — a tree of nodes whose
// operands are resolved at parse time (attribute names, entity types, `like` patterns,
// constant sets and records), so evaluation does no parsing and no name lookups beyond the
// attributes themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "policy/like_pattern.h"
#include "policy/value.h"

namespace domicile::policy {

enum class Var : uint8_t { kPrincipal, kAction, kResource, kContext };

std::string_view VarName(Var var);

struct Expr {
  enum class Op : uint8_t {
    kLiteral,      // value
    kVar,          // var
    kIf,           // args: condition, then, else
    kAnd,          // args: left, right (short-circuit)
    kOr,           // args: left, right (short-circuit)
    kNot,          // args: operand
    kNeg,          // args: operand
    kEq,           // args: left, right
    kNe,           //
    kLt,           //
    kLe,           //
    kGt,           //
    kGe,           //
    kAdd,          //
    kSub,          //
    kMul,          //
    kIn,           // args: left, right
    kContains,     // args: set, element
    kContainsAll,  // args: set, set
    kContainsAny,  // args: set, set
    kGetAttr,      // args: record or entity; name: attribute
    kHas,          // args: record or entity; name: attribute
    kLike,         // args: string; pattern
    kIs,           // args: entity; name: entity type
    kSet,          // args: elements
    kRecord,       // args: values; keys: their keys
  };

  Op op = Op::kLiteral;
  Var var = Var::kPrincipal;
  Value value;
  std::string name;
  std::vector<std::string> keys;
  std::shared_ptr<const LikePattern> pattern;
  std::vector<Expr> args;

  static Expr Literal(Value v) {
    Expr e;
    e.value = std::move(v);
    return e;
  }
  static Expr Variable(Var v) {
    Expr e;
    e.op = Op::kVar;
    e.var = v;
    return e;
  }
  static Expr Node(Op op, std::vector<Expr> args) {
    Expr e;
    e.op = op;
    e.args = std::move(args);
    return e;
  }

  // Cedar source text for the expression (fully parenthesised), for messages and tests.
  std::string ToString() const;
};

}  // namespace domicile::policy
