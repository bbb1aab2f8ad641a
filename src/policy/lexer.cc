#include "policy/lexer.h"

#include <array>

#include "fmt/format.h"

namespace domicile::policy {
namespace {

bool IsIdentStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::vector<int>* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<int>(cp));
  } else if (cp < 0x800) {
    out->push_back(0xC0 | (cp >> 6));
    out->push_back(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out->push_back(0xE0 | (cp >> 12));
    out->push_back(0x80 | ((cp >> 6) & 0x3F));
    out->push_back(0x80 | (cp & 0x3F));
  } else {
    out->push_back(0xF0 | (cp >> 18));
    out->push_back(0x80 | ((cp >> 12) & 0x3F));
    out->push_back(0x80 | ((cp >> 6) & 0x3F));
    out->push_back(0x80 | (cp & 0x3F));
  }
}

constexpr std::array<std::string_view, 7> kTwoCharPuncts = {
    "::", "==", "!=", "<=", ">=", "&&", "||"};
constexpr std::string_view kOneCharPuncts = "()[]{},;:.@<>!-+*/%";

}  // namespace

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto add = [&](Token::Kind kind, size_t start, size_t end) {
    tokens.push_back(Token{kind, text.substr(start, end - start), start, {}});
  };
  auto add_error = [&](size_t start, size_t end, std::string message) {
    tokens.push_back(
        Token{Token::Kind::kError, text.substr(start, end - start), start, std::move(message)});
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    size_t start = i;
    if (IsIdentStart(c)) {
      while (i < text.size() && IsIdentChar(text[i])) ++i;
      add(Token::Kind::kIdent, start, i);
    } else if (IsDigit(c)) {
      while (i < text.size() && IsDigit(text[i])) ++i;
      add(Token::Kind::kInt, start, i);
    } else if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      if (i >= text.size()) {
        add_error(start, text.size(), "unterminated string literal");
        i = text.size();
      } else {
        ++i;
        add(Token::Kind::kString, start, i);
      }
    } else if (c == '?' && i + 1 < text.size() && IsIdentStart(text[i + 1])) {
      ++i;
      while (i < text.size() && IsIdentChar(text[i])) ++i;
      add(Token::Kind::kSlot, start, i);
    } else {
      bool matched = false;
      for (std::string_view p : kTwoCharPuncts) {
        if (text.substr(i, 2) == p) {
          add(Token::Kind::kPunct, i, i + 2);
          i += 2;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (kOneCharPuncts.find(c) != std::string_view::npos) {
        add(Token::Kind::kPunct, i, i + 1);
        ++i;
        continue;
      }
      // An unknown character: report the whole UTF-8 sequence.
      size_t len = 1;
      while (i + len < text.size() && (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) {
        ++len;
      }
      std::string_view ch = text.substr(i, len);
      std::string message =
          c == '=' ? "unexpected `=`; Cedar's equality operator is `==`"
          : c == '&' || c == '|'
              ? fmt::format("unexpected `{}`; Cedar's operators are `&&` and `||`", ch)
              : fmt::format("unexpected character `{}`", ch);
      add_error(i, i + len, std::move(message));
      i += len;
    }
  }
  tokens.push_back(Token{Token::Kind::kEnd, text.substr(text.size()), text.size(), {}});
  return tokens;
}

std::optional<std::string> Unescape(std::string_view raw, bool pattern, std::vector<int>* chars,
                                    size_t* error_offset) {
  chars->clear();
  size_t i = 0;
  while (i < raw.size()) {
    char c = raw[i];
    if (c != '\\') {
      chars->push_back(pattern && c == '*' ? kWildcardStar : static_cast<unsigned char>(c));
      ++i;
      continue;
    }
    *error_offset = i;
    if (i + 1 >= raw.size()) return "a string literal cannot end with a lone `\\`";
    char e = raw[i + 1];
    i += 2;
    switch (e) {
      case 'n':
        chars->push_back('\n');
        break;
      case 'r':
        chars->push_back('\r');
        break;
      case 't':
        chars->push_back('\t');
        break;
      case '0':
        chars->push_back('\0');
        break;
      case '\\':
      case '\'':
      case '"':
        chars->push_back(e);
        break;
      case '*':
        if (!pattern) return "the escape `\\*` is only valid in a `like` pattern";
        chars->push_back(kLiteralStar);
        break;
      case 'x': {
        int hi = i < raw.size() ? HexValue(raw[i]) : -1;
        int lo = i + 1 < raw.size() ? HexValue(raw[i + 1]) : -1;
        if (hi < 0 || lo < 0) return "invalid escape `\\x`: expected two hex digits";
        if (hi > 7) return "invalid escape: `\\x` is limited to `\\x7F`; use `\\u{...}`";
        chars->push_back(hi * 16 + lo);
        i += 2;
        break;
      }
      case 'u': {
        if (i >= raw.size() || raw[i] != '{') return "invalid escape `\\u`: expected `\\u{...}`";
        size_t j = i + 1;
        uint32_t cp = 0;
        int digits = 0;
        while (j < raw.size() && HexValue(raw[j]) >= 0 && digits < 7) {
          cp = cp * 16 + HexValue(raw[j]);
          ++j;
          ++digits;
        }
        if (j >= raw.size() || raw[j] != '}' || digits == 0 || digits > 6) {
          return "invalid escape `\\u`: expected 1 to 6 hex digits in `\\u{...}`";
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return "invalid escape `\\u`: not a Unicode scalar value";
        }
        AppendUtf8(cp, chars);
        i = j + 1;
        break;
      }
      default:
        return fmt::format("invalid escape `\\{}`", e);
    }
  }
  return std::nullopt;
}

const Token& TokenStream::Peek(size_t ahead) const {
  size_t p = pos_ + ahead;
  return p < tokens_.size() ? tokens_[p] : tokens_.back();
}

const Token& TokenStream::Next() {
  const Token& t = Peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

bool TokenStream::IsPunct(std::string_view p, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == Token::Kind::kPunct && t.text == p;
}

bool TokenStream::IsIdent(std::string_view word, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == Token::Kind::kIdent && t.text == word;
}

bool TokenStream::ConsumePunct(std::string_view p) {
  if (!IsPunct(p)) return false;
  Next();
  return true;
}

bool TokenStream::ConsumeIdent(std::string_view word) {
  if (!IsIdent(word)) return false;
  Next();
  return true;
}

bool TokenStream::ExpectPunct(std::string_view p) {
  if (ConsumePunct(p)) return true;
  return FailExpected(fmt::format("`{}`", p));
}

bool TokenStream::Fail(size_t offset, std::string message) {
  if (!error_) error_ = ParseError{offset, std::move(message)};
  return false;
}

bool TokenStream::FailExpected(std::string_view what) {
  const Token& t = Peek();
  if (t.kind == Token::Kind::kError) return Fail(t.offset, t.error);
  return Fail(t.offset, fmt::format("expected {}, found {}", what, Describe(t)));
}

std::optional<ParseError> TokenStream::TakeError() {
  std::optional<ParseError> e = std::move(error_);
  error_.reset();
  return e;
}

void TokenStream::SkipPastSemicolon() {
  while (!AtEnd()) {
    const Token& t = Next();
    if (t.kind == Token::Kind::kPunct && t.text == ";") return;
  }
}

std::string TokenStream::Describe(const Token& token) {
  switch (token.kind) {
    case Token::Kind::kEnd:
      return "end of input";
    case Token::Kind::kString:
      return fmt::format("string literal {}", token.text);
    default:
      return fmt::format("`{}`", token.text);
  }
}

}  // namespace domicile::policy
