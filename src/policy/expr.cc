#include "policy/expr.h"

#include "fmt/format.h"

namespace domicile::policy {
namespace {

std::string_view BinaryOpText(Expr::Op op) {
  switch (op) {
    case Expr::Op::kAnd:
      return "&&";
    case Expr::Op::kOr:
      return "||";
    case Expr::Op::kEq:
      return "==";
    case Expr::Op::kNe:
      return "!=";
    case Expr::Op::kLt:
      return "<";
    case Expr::Op::kLe:
      return "<=";
    case Expr::Op::kGt:
      return ">";
    case Expr::Op::kGe:
      return ">=";
    case Expr::Op::kAdd:
      return "+";
    case Expr::Op::kSub:
      return "-";
    case Expr::Op::kMul:
      return "*";
    case Expr::Op::kIn:
      return "in";
    default:
      return "?";
  }
}

}  // namespace

std::string_view VarName(Var var) {
  switch (var) {
    case Var::kPrincipal:
      return "principal";
    case Var::kAction:
      return "action";
    case Var::kResource:
      return "resource";
    case Var::kContext:
      return "context";
  }
  return "?";
}

std::string Expr::ToString() const {
  auto arg = [this](size_t i) { return args[i].ToString(); };
  switch (op) {
    case Op::kLiteral:
      return value.ToString();
    case Op::kVar:
      return std::string(VarName(var));
    case Op::kIf:
      return fmt::format("(if {} then {} else {})", arg(0), arg(1), arg(2));
    case Op::kNot:
      return fmt::format("(!{})", arg(0));
    case Op::kNeg:
      return fmt::format("(-{})", arg(0));
    case Op::kContains:
      return fmt::format("{}.contains({})", arg(0), arg(1));
    case Op::kContainsAll:
      return fmt::format("{}.containsAll({})", arg(0), arg(1));
    case Op::kContainsAny:
      return fmt::format("{}.containsAny({})", arg(0), arg(1));
    case Op::kGetAttr:
      return fmt::format("{}[\"{}\"]", arg(0), EscapeCedarString(name));
    case Op::kHas:
      return fmt::format("({} has \"{}\")", arg(0), EscapeCedarString(name));
    case Op::kLike:
      return fmt::format("({} like {})", arg(0), pattern->ToString());
    case Op::kIs:
      return fmt::format("({} is {})", arg(0), name);
    case Op::kSet: {
      std::string out = "[";
      for (size_t i = 0; i < args.size(); ++i) out += (i ? ", " : "") + arg(i);
      return out + "]";
    }
    case Op::kRecord: {
      std::string out = "{";
      for (size_t i = 0; i < args.size(); ++i) {
        out += fmt::format("{}\"{}\": {}", i ? ", " : "", EscapeCedarString(keys[i]), arg(i));
      }
      return out + "}";
    }
    default:
      return fmt::format("({} {} {})", arg(0), BinaryOpText(op), arg(1));
  }
}

}  // namespace domicile::policy
