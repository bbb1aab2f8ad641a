#include "policy/expr_parser.h"

#include <array>
#include <cstdint>
#include <set>

#include "fmt/format.h"
#include "policy/entity_uid.h"

namespace domicile::policy {
namespace {

using Op = Expr::Op;

// Deep nesting would overflow the stack of the recursive parser, evaluator and destructor;
// this bounds the depth of the expression tree.
constexpr int kMaxDepth = 400;

constexpr std::array<std::string_view, 4> kExtensionFunctions = {"ip", "decimal", "datetime",
                                                                 "duration"};
constexpr std::array<std::string_view, 21> kUnsupportedMethods = {
    "isIpv4",          "isIpv6",      "isLoopback",
    "isMulticast",     "isInRange",   "lessThan",
    "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
    "isEmpty",         "getTag",      "hasTag",
    "toDate",          "toTime",      "toDays",
    "toHours",         "toMinutes",   "toSeconds",
    "toMilliseconds",  "offset",      "durationSince"};

bool IsVariable(std::string_view w) {
  return w == "principal" || w == "action" || w == "resource" || w == "context";
}

Var VariableOf(std::string_view w) {
  if (w == "principal") return Var::kPrincipal;
  if (w == "action") return Var::kAction;
  if (w == "resource") return Var::kResource;
  return Var::kContext;
}

bool AllLiterals(const std::vector<Expr>& exprs) {
  for (const Expr& e : exprs) {
    if (e.op != Op::kLiteral) return false;
  }
  return true;
}

}  // namespace

bool ExprParser::ParseString(std::string* out) {
  const Token& tok = t_.Peek();
  if (tok.kind != Token::Kind::kString) return t_.FailExpected("a string literal");
  t_.Next();
  std::string_view raw = tok.text.substr(1, tok.text.size() - 2);
  std::vector<int> chars;
  size_t bad = 0;
  if (auto err = Unescape(raw, /*pattern=*/false, &chars, &bad)) {
    return t_.Fail(tok.offset + 1 + bad, *err);
  }
  out->assign(chars.begin(), chars.end());
  return true;
}

bool ExprParser::ParsePath(std::string* out, bool* followed_by_id) {
  out->clear();
  *followed_by_id = false;
  while (true) {
    const Token& tok = t_.Peek();
    if (tok.kind != Token::Kind::kIdent) return t_.FailExpected("an identifier");
    if (IsReservedWord(tok.text)) {
      return t_.Fail(tok.offset, fmt::format("`{}` is a reserved word", tok.text));
    }
    t_.Next();
    out->append(tok.text);
    if (!t_.IsPunct("::")) return true;
    if (t_.Peek(1).kind == Token::Kind::kString) {
      *followed_by_id = true;
      return true;
    }
    t_.Next();
    out->append("::");
  }
}

bool ExprParser::ParseEntityRef(EntityUid* out) {
  const Token& start = t_.Peek();
  if (start.kind == Token::Kind::kSlot) {
    return t_.Fail(start.offset, fmt::format("template slots (`{}`) are not supported: policy "
                                             "templates are outside the supported subset",
                                             start.text));
  }
  if (start.kind != Token::Kind::kIdent)
    return t_.FailExpected("an entity reference `Type::\"id\"`");
  bool has_id = false;
  if (!ParsePath(&out->type, &has_id)) return false;
  if (!has_id) {
    return t_.Fail(
        start.offset,
        fmt::format("expected an entity reference `Type::\"id\"`, found `{}`", out->type));
  }
  t_.Next();  // ::
  return ParseString(&out->id);
}

bool ExprParser::Deeper(int* levels) {
  ++*levels;
  if (++depth_ > kMaxDepth) {
    return t_.Fail(t_.Peek().offset,
                   fmt::format("expression nested too deeply (more than {} levels)", kMaxDepth));
  }
  return true;
}

Expr ExprParser::ParseExpr() {
  int levels = 0;
  Expr e;
  if (Deeper(&levels)) e = t_.IsIdent("if") ? ParseIf() : ParseOr();
  depth_ -= levels;
  return e;
}

Expr ExprParser::ParseIf() {
  t_.Next();  // if
  Expr cond = ParseExpr();
  if (t_.failed()) return {};
  if (!t_.ConsumeIdent("then")) {
    t_.FailExpected("`then`");
    return {};
  }
  Expr then_branch = ParseExpr();
  if (t_.failed()) return {};
  if (!t_.ConsumeIdent("else")) {
    t_.FailExpected("`else`");
    return {};
  }
  Expr else_branch = ParseExpr();
  if (t_.failed()) return {};
  return Expr::Node(Op::kIf, {std::move(cond), std::move(then_branch), std::move(else_branch)});
}

Expr ExprParser::ParseOr() {
  int levels = 0;
  Expr left = ParseAnd();
  while (!t_.failed() && t_.ConsumePunct("||") && Deeper(&levels)) {
    Expr right = ParseAnd();
    left = Expr::Node(Op::kOr, {std::move(left), std::move(right)});
  }
  depth_ -= levels;
  return left;
}

Expr ExprParser::ParseAnd() {
  int levels = 0;
  Expr left = ParseRelation();
  while (!t_.failed() && t_.ConsumePunct("&&") && Deeper(&levels)) {
    Expr right = ParseRelation();
    left = Expr::Node(Op::kAnd, {std::move(left), std::move(right)});
  }
  depth_ -= levels;
  return left;
}

Expr ExprParser::ParseRelation() {
  Expr left = ParseAdd();
  if (t_.failed()) return {};
  static constexpr std::array<std::pair<std::string_view, Op>, 6> kRelOps = {{
      {"==", Op::kEq},
      {"!=", Op::kNe},
      {"<", Op::kLt},
      {"<=", Op::kLe},
      {">", Op::kGt},
      {">=", Op::kGe},
  }};
  Expr result;
  bool matched = false;
  for (const auto& [text, op] : kRelOps) {
    if (t_.ConsumePunct(text)) {
      Expr right = ParseAdd();
      result = Expr::Node(op, {std::move(left), std::move(right)});
      matched = true;
      break;
    }
  }
  if (matched) {
    // Fall through to the chaining check below.
  } else if (t_.ConsumeIdent("in")) {
    Expr right = ParseAdd();
    result = Expr::Node(Op::kIn, {std::move(left), std::move(right)});
  } else if (t_.ConsumeIdent("has")) {
    std::string attr;
    if (!ParseAttrName(&attr, "after `has`")) return {};
    if (t_.IsPunct(".")) {
      t_.Fail(t_.Peek().offset,
              "`has` with an attribute path (`e has a.b`) is not supported; write "
              "`e has a && e.a has b`");
      return {};
    }
    result = Expr::Node(Op::kHas, {std::move(left)});
    result.name = std::move(attr);
  } else if (t_.ConsumeIdent("like")) {
    const Token& tok = t_.Peek();
    if (tok.kind != Token::Kind::kString) {
      t_.FailExpected("a string literal pattern after `like`");
      return {};
    }
    t_.Next();
    std::vector<int> chars;
    size_t bad = 0;
    if (auto err = Unescape(tok.text.substr(1, tok.text.size() - 2), true, &chars, &bad)) {
      t_.Fail(tok.offset + 1 + bad, *err);
      return {};
    }
    std::vector<int16_t> elements;
    for (int c : chars) {
      elements.push_back(c == kWildcardStar  ? LikePattern::kWildcard
                         : c == kLiteralStar ? static_cast<int16_t>('*')
                                             : static_cast<int16_t>(c));
    }
    result = Expr::Node(Op::kLike, {std::move(left)});
    result.pattern = std::make_shared<const LikePattern>(std::move(elements));
  } else if (t_.ConsumeIdent("is")) {
    std::string type;
    bool has_id = false;
    if (!ParsePath(&type, &has_id)) return {};
    if (has_id) {
      t_.Fail(t_.Peek().offset, "`is` takes an entity type, not an entity reference");
      return {};
    }
    result = Expr::Node(Op::kIs, {std::move(left)});
    result.name = std::move(type);
    if (t_.ConsumeIdent("in")) {
      // `e is T in E` is `e is T && e in E`; e is evaluated once in Cedar, but it is
      // side-effect free, so evaluating it twice yields the same value and the same errors.
      Expr target = result.args[0];
      Expr right = ParseAdd();
      result = Expr::Node(Op::kAnd, {std::move(result),
                                     Expr::Node(Op::kIn, {std::move(target), std::move(right)})});
    }
  } else {
    return left;
  }
  if (t_.failed()) return {};
  const Token& next = t_.Peek();
  bool chained = false;
  for (const auto& [text, op] : kRelOps) chained |= t_.IsPunct(text);
  chained |= t_.IsIdent("in") || t_.IsIdent("has") || t_.IsIdent("like") || t_.IsIdent("is");
  if (chained) {
    t_.Fail(next.offset,
            fmt::format("`{}` cannot follow another comparison without parentheses", next.text));
    return {};
  }
  return result;
}

Expr ExprParser::ParseAdd() {
  int levels = 0;
  Expr left = ParseMult();
  while (!t_.failed() && (t_.IsPunct("+") || t_.IsPunct("-")) && Deeper(&levels)) {
    Op op = t_.Next().text == "+" ? Op::kAdd : Op::kSub;
    Expr right = ParseMult();
    left = Expr::Node(op, {std::move(left), std::move(right)});
  }
  depth_ -= levels;
  return left;
}

Expr ExprParser::ParseMult() {
  int levels = 0;
  Expr left = ParseUnary();
  while (!t_.failed() && Deeper(&levels)) {
    if (t_.IsPunct("/") || t_.IsPunct("%")) {
      t_.Fail(t_.Peek().offset, fmt::format("the `{}` operator does not exist in Cedar; only "
                                            "`+`, `-` and `*` are supported on longs",
                                            t_.Peek().text));
      return {};
    }
    if (!t_.ConsumePunct("*")) break;
    Expr right = ParseUnary();
    left = Expr::Node(Op::kMul, {std::move(left), std::move(right)});
  }
  depth_ -= levels;
  return left;
}

bool ExprParser::ParseIntMagnitude(const Token& token, uint64_t* out) {
  uint64_t v = 0;
  for (char c : token.text) {
    if (v > (UINT64_MAX - 9) / 10) {
      return t_.Fail(token.offset, fmt::format("integer literal `{}` is too large", token.text));
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

Expr ExprParser::ParseUnary() {
  const Token& first = t_.Peek();
  if (!t_.IsPunct("!") && !t_.IsPunct("-")) return ParseMember();
  std::string_view op_text = first.text;
  int count = 0;
  while (t_.IsPunct(op_text)) {
    t_.Next();
    ++count;
  }
  if (count > 4) {
    t_.Fail(first.offset, fmt::format("too many occurrences of `{}` (at most 4)", op_text));
    return {};
  }
  if (t_.IsPunct("!") || t_.IsPunct("-")) {
    t_.Fail(t_.Peek().offset, "`!` and `-` cannot be mixed without parentheses");
    return {};
  }
  Op op = op_text == "!" ? Op::kNot : Op::kNeg;
  Expr operand;
  // `-N` is a literal, so the smallest long (-9223372036854775808) can be written.
  if (op == Op::kNeg && t_.Peek().kind == Token::Kind::kInt && !t_.IsPunct(".", 1) &&
      !t_.IsPunct("[", 1)) {
    const Token& num = t_.Next();
    uint64_t magnitude = 0;
    if (!ParseIntMagnitude(num, &magnitude)) return {};
    if (magnitude > static_cast<uint64_t>(INT64_MAX) + 1) {
      t_.Fail(num.offset, fmt::format("integer literal `-{}` is out of range", num.text));
      return {};
    }
    operand = Expr::Literal(Value::Long(static_cast<int64_t>(0 - magnitude)));
    --count;
  } else {
    operand = ParseMember();
  }
  for (int i = 0; i < count; ++i) operand = Expr::Node(op, {std::move(operand)});
  return operand;
}

bool ExprParser::ParseAttrName(std::string* out, std::string_view context) {
  const Token& tok = t_.Peek();
  if (tok.kind == Token::Kind::kString) return ParseString(out);
  if (tok.kind != Token::Kind::kIdent) {
    return t_.FailExpected(fmt::format("an attribute name {}", context));
  }
  if (IsReservedWord(tok.text)) {
    return t_.Fail(tok.offset, fmt::format("`{}` is a reserved word; write the attribute name "
                                           "as a string",
                                           tok.text));
  }
  t_.Next();
  out->assign(tok.text);
  return true;
}

Expr ExprParser::ParseMember() {
  int levels = 0;
  Expr e = ParsePrimary();
  while (!t_.failed() && (t_.IsPunct(".") || t_.IsPunct("[")) && Deeper(&levels)) {
    if (t_.ConsumePunct(".")) {
      const Token& name = t_.Peek();
      if (name.kind == Token::Kind::kIdent && t_.IsPunct("(", 1)) {
        t_.Next();
        e = ParseMethod(std::move(e), name);
        continue;
      }
      std::string attr;
      if (name.kind == Token::Kind::kString) {
        t_.FailExpected("an attribute name after `.` (write `e[\"name\"]` for any string)");
        return {};
      }
      if (!ParseAttrName(&attr, "after `.`")) return {};
      e = Expr::Node(Op::kGetAttr, {std::move(e)});
      e.name = std::move(attr);
    } else {
      t_.Next();
      if (t_.Peek().kind != Token::Kind::kString) {
        t_.Fail(t_.Peek().offset, "only a string literal may appear in `[...]` attribute access");
        return {};
      }
      std::string attr;
      if (!ParseString(&attr) || !t_.ExpectPunct("]")) return {};
      e = Expr::Node(Op::kGetAttr, {std::move(e)});
      e.name = std::move(attr);
    }
  }
  depth_ -= levels;
  return e;
}

Expr ExprParser::ParseMethod(Expr target, const Token& name) {
  t_.Next();  // (
  std::vector<Expr> args;
  if (!t_.IsPunct(")")) {
    while (true) {
      args.push_back(ParseExpr());
      if (t_.failed()) return {};
      if (!t_.ConsumePunct(",")) break;
      if (t_.IsPunct(")")) break;
    }
  }
  if (!t_.ExpectPunct(")")) return {};
  Op op;
  if (name.text == "contains") {
    op = Op::kContains;
  } else if (name.text == "containsAll") {
    op = Op::kContainsAll;
  } else if (name.text == "containsAny") {
    op = Op::kContainsAny;
  } else {
    bool known = false;
    for (std::string_view m : kUnsupportedMethods) known |= name.text == m;
    t_.Fail(name.offset, known ? fmt::format("the method `.{}()` is not supported", name.text)
                               : fmt::format("unknown method `.{}()`", name.text));
    return {};
  }
  if (args.size() != 1) {
    t_.Fail(name.offset,
            fmt::format("`.{}()` takes exactly one argument, got {}", name.text, args.size()));
    return {};
  }
  return Expr::Node(op, {std::move(target), std::move(args[0])});
}

Expr ExprParser::ParsePrimary() {
  const Token& tok = t_.Peek();
  switch (tok.kind) {
    case Token::Kind::kInt: {
      t_.Next();
      uint64_t v = 0;
      if (!ParseIntMagnitude(tok, &v)) return {};
      if (v > static_cast<uint64_t>(INT64_MAX)) {
        t_.Fail(tok.offset, fmt::format("integer literal `{}` is out of range", tok.text));
        return {};
      }
      return Expr::Literal(Value::Long(static_cast<int64_t>(v)));
    }
    case Token::Kind::kString: {
      std::string s;
      if (!ParseString(&s)) return {};
      return Expr::Literal(Value::String(std::move(s)));
    }
    case Token::Kind::kSlot:
      t_.Fail(tok.offset, fmt::format("template slots (`{}`) are not supported: policy templates "
                                      "are outside the supported subset",
                                      tok.text));
      return {};
    case Token::Kind::kPunct:
      if (t_.ConsumePunct("(")) {
        Expr e = ParseExpr();
        if (t_.failed() || !t_.ExpectPunct(")")) return {};
        return e;
      }
      if (t_.IsPunct("[")) return ParseSetLiteral();
      if (t_.IsPunct("{")) return ParseRecordLiteral();
      t_.FailExpected("an expression");
      return {};
    case Token::Kind::kIdent:
      break;
    default:
      t_.FailExpected("an expression");
      return {};
  }
  if (tok.text == "true" || tok.text == "false") {
    t_.Next();
    return Expr::Literal(Value::Bool(tok.text == "true"));
  }
  if (tok.text == "if") {
    t_.Fail(tok.offset, "an `if` expression must be parenthesized here");
    return {};
  }
  if (IsVariable(tok.text) && !t_.IsPunct("::", 1)) {
    t_.Next();
    return Expr::Variable(VariableOf(tok.text));
  }
  std::string path;
  bool has_id = false;
  if (!ParsePath(&path, &has_id)) return {};
  if (has_id) {
    t_.Next();  // ::
    std::string id;
    if (!ParseString(&id)) return {};
    return Expr::Literal(Value::Entity(EntityUid{std::move(path), std::move(id)}));
  }
  if (t_.IsPunct("(")) {
    bool extension = false;
    for (std::string_view f : kExtensionFunctions) extension |= path == f;
    t_.Fail(tok.offset, extension ? fmt::format("the extension function `{}(...)` is not "
                                                "supported",
                                                path)
                                  : fmt::format("unknown function `{}(...)`", path));
    return {};
  }
  t_.Fail(tok.offset,
          path.find("::") != std::string::npos
              ? fmt::format("expected `::\"id\"` after the entity type `{}`", path)
              : fmt::format("unknown variable `{}`; the variables are principal, action, "
                            "resource and context",
                            path));
  return {};
}

Expr ExprParser::ParseSetLiteral() {
  t_.Next();  // [
  std::vector<Expr> elements;
  while (!t_.IsPunct("]")) {
    elements.push_back(ParseExpr());
    if (t_.failed()) return {};
    if (!t_.ConsumePunct(",")) break;
  }
  if (!t_.ExpectPunct("]")) return {};
  if (AllLiterals(elements)) {
    std::vector<Value> values;
    for (Expr& e : elements) values.push_back(std::move(e.value));
    return Expr::Literal(Value::Set(std::move(values)));
  }
  return Expr::Node(Op::kSet, std::move(elements));
}

Expr ExprParser::ParseRecordLiteral() {
  t_.Next();  // {
  std::vector<Expr> values;
  std::vector<std::string> keys;
  std::set<std::string> seen;
  while (!t_.IsPunct("}")) {
    const Token& key_token = t_.Peek();
    std::string key;
    if (!ParseAttrName(&key, "as a record key")) return {};
    if (!seen.insert(key).second) {
      t_.Fail(key_token.offset, fmt::format("duplicate key `{}` in a record literal", key));
      return {};
    }
    if (!t_.ExpectPunct(":")) return {};
    values.push_back(ParseExpr());
    if (t_.failed()) return {};
    keys.push_back(std::move(key));
    if (!t_.ConsumePunct(",")) break;
  }
  if (!t_.ExpectPunct("}")) return {};
  if (AllLiterals(values)) {
    Value::RecordFields fields;
    for (size_t i = 0; i < keys.size(); ++i) fields.emplace(keys[i], std::move(values[i].value));
    return Expr::Literal(Value::Record(std::move(fields)));
  }
  Expr e = Expr::Node(Op::kRecord, std::move(values));
  e.keys = std::move(keys);
  return e;
}

}  // namespace domicile::policy
