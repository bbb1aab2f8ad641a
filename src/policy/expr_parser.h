// ExprParser: parses one Cedar expression from a token stream into its compiled form (Expr),
// following Cedar's grammar and precedence:
//
//   Expr     ::= Or | 'if' Expr 'then' Expr 'else' Expr
//   Or       ::= And {'||' And}
//   And      ::= Relation {'&&' Relation}
//   Relation ::= Add [RELOP Add] | Add 'has' (IDENT | STR) | Add 'like' STR
//              | Add 'is' Path ['in' Add]              (RELOP: == != < <= > >= in)
//   Add      ::= Mult {('+' | '-') Mult}
//   Mult     ::= Unary {'*' Unary}
//   Unary    ::= ['!'{1..4} | '-'{1..4}] Member
//   Member   ::= Primary {'.' IDENT ['(' Args ')'] | '[' STR ']'}
//   Primary  ::= INT | STR | 'true' | 'false' | VAR | Path '::' STR | '(' Expr ')'
//              | '[' [Exprs] ']' | '{' [Inits] '}'
//
// Constructs of full Cedar outside the supported subset (extension functions and methods,
// `has` on an attribute path, template slots, ...) are errors that name the construct.
#pragma once

#include <string>

#include "policy/expr.h"
#include "policy/lexer.h"

namespace domicile::policy {

class ExprParser {
 public:
  explicit ExprParser(TokenStream& tokens) : t_(tokens) {}

  // Forgets the depth left over from a failed parse.
  void Reset() { depth_ = 0; }

  // Parses an expression. On error the stream's error is set and the result is meaningless.
  Expr ParseExpr();

  // Parses `Path` (identifiers separated by `::`, none reserved) into *out. When
  // `allow_entity` is true and the path is followed by `::` and a string, stops before the
  // `::` with *followed_by_id = true.
  bool ParsePath(std::string* out, bool* followed_by_id);
  // Parses an entity reference `Path::"id"`.
  bool ParseEntityRef(EntityUid* out);
  // Parses a string literal token into its value.
  bool ParseString(std::string* out);

 private:
  Expr ParseIf();
  Expr ParseOr();
  Expr ParseAnd();
  Expr ParseRelation();
  Expr ParseAdd();
  Expr ParseMult();
  Expr ParseUnary();
  Expr ParseMember();
  Expr ParsePrimary();
  Expr ParseMethod(Expr target, const Token& name);
  Expr ParseSetLiteral();
  Expr ParseRecordLiteral();
  bool ParseIntMagnitude(const Token& token, uint64_t* out);
  bool ParseAttrName(std::string* out, std::string_view context);
  // Counts one more level of tree depth (undone by the caller via *levels); fails past the
  // limit.
  bool Deeper(int* levels);

  TokenStream& t_;
  int depth_ = 0;
};

}  // namespace domicile::policy
