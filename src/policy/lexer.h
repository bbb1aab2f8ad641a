// The lexer of the Cedar policy language and the token stream the parsers read from, with the
// first error of the current policy recorded (offset and message) for the caret report.
// Also Cedar's string unescaping, for string literals and `like` patterns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domicile::policy {

struct Token {
  enum class Kind : uint8_t {
    kIdent,   // identifiers and keywords alike; the parser decides
    kInt,     // digits only (a leading `-` is an operator)
    kString,  // the raw literal, quotes included
    kSlot,    // `?principal`, `?resource`, ...
    kPunct,   // operators and punctuation
    kError,   // a character or literal the lexer could not read; text holds the message
    kEnd,
  };
  Kind kind = Kind::kEnd;
  std::string_view text;
  size_t offset = 0;
  std::string error;  // for kError
};

// Splits `text` into tokens, skipping whitespace and `//` comments. Always ends with kEnd.
std::vector<Token> Tokenize(std::string_view text);

// Cedar's escapes: \n \r \t \\ \0 \' \" \xHH (up to 7F) \u{H..H}; with `pattern`, also \* (a
// literal star, returned as kLiteralStar; an unescaped `*` is returned as kWildcardStar). On
// error, returns the message and sets *error_offset to the offset of the bad escape within
// `raw` (the literal without its quotes).
inline constexpr int kWildcardStar = -1;
inline constexpr int kLiteralStar = -2;
std::optional<std::string> Unescape(std::string_view raw, bool pattern, std::vector<int>* chars,
                                    size_t* error_offset);

struct ParseError {
  size_t offset = 0;
  std::string message;
};

class TokenStream {
 public:
  explicit TokenStream(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  const Token& Peek(size_t ahead = 0) const;
  const Token& Next();
  size_t pos() const { return pos_; }
  bool AtEnd() const { return Peek().kind == Token::Kind::kEnd; }

  bool IsPunct(std::string_view p, size_t ahead = 0) const;
  bool IsIdent(std::string_view word, size_t ahead = 0) const;
  bool ConsumePunct(std::string_view p);
  bool ConsumeIdent(std::string_view word);
  // Consumes `p` or records "expected `p`, found ..." and returns false.
  bool ExpectPunct(std::string_view p);

  // Records an error (only the first one counts until ClearError) and returns false.
  bool Fail(size_t offset, std::string message);
  // Fail at the next token with "expected <what>, found <token>".
  bool FailExpected(std::string_view what);
  bool failed() const { return error_.has_value(); }
  std::optional<ParseError> TakeError();

  // After an error: skips past the next `;` (the end of the broken policy).
  void SkipPastSemicolon();

  static std::string Describe(const Token& token);

 private:
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::optional<ParseError> error_;
};

}  // namespace domicile::policy
