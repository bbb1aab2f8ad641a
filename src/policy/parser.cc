#include "policy/parser.h"

#include <map>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "policy/expr_parser.h"
#include "policy/lexer.h"
#include "policy/source_file.h"
#include "util/errors.h"

namespace domicile::policy {
namespace {

// The last `::` component of an entity type: Cedar requires action entities to have a type
// named `Action` (in any namespace).
bool IsActionType(std::string_view type) {
  size_t sep = type.rfind("::");
  return (sep == std::string_view::npos ? type : type.substr(sep + 2)) == "Action";
}

class PolicyParser {
 public:
  PolicyParser(const SourceFile& file, TokenStream& tokens) : file_(file), t_(tokens) {}

  // Parses one policy into *out. On failure the stream's error is set.
  bool ParsePolicy(size_t position, Policy* out);

 private:
  bool ParseAnnotations(Policy* out);
  bool ParseScope(Policy* out);
  bool ParsePrincipalOrResource(std::string_view var, ScopeConstraint* out);
  bool ParseAction(ScopeConstraint* out);
  bool ParseActionUid(EntityUid* out);
  bool ParseConditions(Policy* out);

  const SourceFile& file_;
  TokenStream& t_;
  ExprParser expr_{t_};
};

bool PolicyParser::ParsePolicy(size_t position, Policy* out) {
  expr_.Reset();
  const Token& first = t_.Peek();
  SourceFile::Position pos = file_.PositionOf(first.offset);
  out->location = SourceLocation{std::string(file_.name()), pos.line, pos.column};
  if (!ParseAnnotations(out)) return false;
  auto id = out->annotations.find("id");
  out->default_id = id == out->annotations.end();
  out->id = out->default_id ? fmt::format("policy{}", position) : id->second;
  const Token& effect = t_.Peek();
  if (effect.kind == Token::Kind::kIdent && (effect.text == "permit" || effect.text == "forbid")) {
    out->effect = effect.text == "permit" ? Effect::kPermit : Effect::kForbid;
    t_.Next();
  } else {
    return t_.FailExpected("`permit` or `forbid`");
  }
  if (!t_.ExpectPunct("(") || !ParseScope(out) || !t_.ExpectPunct(")")) return false;
  if (!ParseConditions(out)) return false;
  const Token& end = t_.Peek();
  if (!t_.ExpectPunct(";")) return false;
  out->text =
      std::string(file_.text().substr(first.offset, end.offset + end.text.size() - first.offset));
  return true;
}

bool PolicyParser::ParseAnnotations(Policy* out) {
  while (t_.IsPunct("@")) {
    t_.Next();
    const Token& name = t_.Peek();
    if (name.kind != Token::Kind::kIdent) return t_.FailExpected("an annotation name after `@`");
    t_.Next();
    std::string value;
    if (t_.ConsumePunct("(")) {
      if (!expr_.ParseString(&value) || !t_.ExpectPunct(")")) return false;
    }
    if (!out->annotations.emplace(std::string(name.text), std::move(value)).second) {
      return t_.Fail(name.offset, fmt::format("duplicate annotation `@{}`", name.text));
    }
  }
  return true;
}

bool PolicyParser::ParseScope(Policy* out) {
  if (!t_.ConsumeIdent("principal")) return t_.FailExpected("`principal`");
  if (!ParsePrincipalOrResource("principal", &out->principal)) return false;
  if (!t_.ExpectPunct(",")) return false;
  if (!t_.ConsumeIdent("action")) return t_.FailExpected("`action`");
  if (!ParseAction(&out->action)) return false;
  if (!t_.ExpectPunct(",")) return false;
  if (!t_.ConsumeIdent("resource")) return t_.FailExpected("`resource`");
  if (!ParsePrincipalOrResource("resource", &out->resource)) return false;
  if (t_.IsPunct(",")) {
    return t_.Fail(t_.Peek().offset,
                   "the scope has exactly three parts: principal, action, resource; put other "
                   "constraints in a `when` clause");
  }
  return true;
}

bool PolicyParser::ParsePrincipalOrResource(std::string_view var, ScopeConstraint* out) {
  if (t_.ConsumePunct("==")) {
    out->kind = ScopeConstraint::Kind::kEq;
    out->uids.resize(1);
    return expr_.ParseEntityRef(&out->uids[0]);
  }
  if (t_.IsIdent("is")) {
    t_.Next();
    bool has_id = false;
    if (!expr_.ParsePath(&out->type, &has_id)) return false;
    if (has_id) return t_.Fail(t_.Peek().offset, "`is` takes an entity type, not an entity");
    out->kind = ScopeConstraint::Kind::kIs;
    if (!t_.ConsumeIdent("in")) return true;
    out->kind = ScopeConstraint::Kind::kIsIn;
  } else if (t_.ConsumeIdent("in")) {
    out->kind = ScopeConstraint::Kind::kIn;
  } else if (t_.IsPunct(",") || t_.IsPunct(")")) {
    return true;
  } else {
    return t_.FailExpected(fmt::format("`==`, `in`, `is`, or the end of the `{}` constraint", var));
  }
  if (t_.IsPunct("[")) {
    return t_.Fail(t_.Peek().offset,
                   fmt::format("`{} in [...]` is not valid Cedar: only `action` may be "
                               "constrained by a list",
                               var));
  }
  out->uids.resize(1);
  return expr_.ParseEntityRef(&out->uids[0]);
}

bool PolicyParser::ParseActionUid(EntityUid* out) {
  size_t offset = t_.Peek().offset;
  if (!expr_.ParseEntityRef(out)) return false;
  if (!IsActionType(out->type)) {
    return t_.Fail(offset, fmt::format("expected an entity of type `Action` in the action "
                                       "scope, found {}",
                                       out->ToString()));
  }
  return true;
}

bool PolicyParser::ParseAction(ScopeConstraint* out) {
  if (t_.ConsumePunct("==")) {
    out->kind = ScopeConstraint::Kind::kEq;
    out->uids.resize(1);
    return ParseActionUid(&out->uids[0]);
  }
  if (t_.IsIdent("is")) {
    return t_.Fail(t_.Peek().offset, "`is` is not allowed in the action scope");
  }
  if (!t_.ConsumeIdent("in")) {
    if (t_.IsPunct(",") || t_.IsPunct(")")) return true;
    return t_.FailExpected("`==`, `in`, or the end of the `action` constraint");
  }
  out->kind = ScopeConstraint::Kind::kIn;
  if (!t_.ConsumePunct("[")) {
    out->uids.resize(1);
    return ParseActionUid(&out->uids[0]);
  }
  out->list = true;
  while (!t_.IsPunct("]")) {
    out->uids.emplace_back();
    if (!ParseActionUid(&out->uids.back())) return false;
    if (!t_.ConsumePunct(",")) break;
  }
  return t_.ExpectPunct("]");
}

bool PolicyParser::ParseConditions(Policy* out) {
  while (t_.Peek().kind == Token::Kind::kIdent) {
    const Token& keyword = t_.Peek();
    if (keyword.text != "when" && keyword.text != "unless") {
      return t_.Fail(keyword.offset,
                     fmt::format("expected `when`, `unless` or `;`, found `{}`", keyword.text));
    }
    t_.Next();
    if (!t_.ExpectPunct("{")) return false;
    if (t_.IsPunct("}")) {
      return t_.Fail(t_.Peek().offset, fmt::format("the `{}` clause is empty", keyword.text));
    }
    Condition c;
    c.is_when = keyword.text == "when";
    c.body = expr_.ParseExpr();
    if (t_.failed() || !t_.ExpectPunct("}")) return false;
    out->conditions.push_back(std::move(c));
  }
  return true;
}

std::string JoinErrors(const SourceFile& file, const std::vector<ParseError>& errors) {
  std::string message;
  for (const ParseError& e : errors) {
    if (!message.empty()) message += "\n\n";
    message += file.FormatError(e.offset, e.message);
  }
  return message;
}

}  // namespace

absl::StatusOr<PolicySet> ParsePolicies(std::string_view text, std::string_view file_name) {
  SourceFile file(file_name, text);
  TokenStream tokens(Tokenize(text));
  PolicyParser parser(file, tokens);
  std::vector<Policy> policies;
  std::vector<ParseError> errors;
  std::map<std::string, size_t> id_offsets;  // for duplicate ids
  size_t position = 0;
  while (!tokens.AtEnd()) {
    Policy policy;
    size_t offset = tokens.Peek().offset;
    if (parser.ParsePolicy(position++, &policy)) {
      if (!id_offsets.emplace(policy.id, offset).second) {
        SourceFile::Position first = file.PositionOf(id_offsets[policy.id]);
        errors.push_back({offset, fmt::format("duplicate policy id \"{}\" (first used at line {}, "
                                              "column {})",
                                              policy.id, first.line, first.column)});
      }
      policies.push_back(std::move(policy));
      continue;
    }
    errors.push_back(*tokens.TakeError());
    tokens.SkipPastSemicolon();
  }
  if (!errors.empty()) return absl::InvalidArgumentError(JoinErrors(file, errors));
  return PolicySet::Create(std::move(policies), std::string(text));
}

absl::StatusOr<Expr> ParseExpression(std::string_view text, std::string_view file_name) {
  SourceFile file(file_name, text);
  TokenStream tokens(Tokenize(text));
  ExprParser parser(tokens);
  Expr e = parser.ParseExpr();
  if (!tokens.failed() && !tokens.AtEnd()) tokens.FailExpected("the end of the expression");
  if (auto error = tokens.TakeError()) {
    return absl::InvalidArgumentError(JoinErrors(file, {*error}));
  }
  return e;
}

absl::StatusOr<EntityUid> ParseEntityUid(std::string_view text) {
  SourceFile file("entity", text);
  TokenStream tokens(Tokenize(text));
  ExprParser parser(tokens);
  EntityUid uid;
  if (parser.ParseEntityRef(&uid) && !tokens.AtEnd()) tokens.FailExpected("the end of the input");
  if (auto error = tokens.TakeError()) {
    return absl::InvalidArgumentError(JoinErrors(file, {*error}));
  }
  return uid;
}

}  // namespace domicile::policy
