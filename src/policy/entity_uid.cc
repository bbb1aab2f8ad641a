#include "policy/entity_uid.h"

#include <array>

#include "fmt/format.h"

namespace domicile::policy {
namespace {

bool IsIdentStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool IsReservedWord(std::string_view word) {
  static constexpr std::array<std::string_view, 10> kReserved = {
      "true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar"};
  for (std::string_view r : kReserved) {
    if (word == r) return true;
  }
  return false;
}

bool IsValidTypeName(std::string_view name) {
  size_t start = 0;
  while (true) {
    size_t end = name.find("::", start);
    std::string_view part =
        name.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (part.empty() || !IsIdentStart(part[0])) return false;
    for (char c : part) {
      if (!IsIdentChar(c)) return false;
    }
    if (IsReservedWord(part)) return false;
    if (end == std::string_view::npos) return true;
    start = end + 2;
  }
}

std::string EscapeCedarString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{{{:x}}}", c);
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string EntityUid::ToString() const {
  return fmt::format("{}::\"{}\"", type, EscapeCedarString(id));
}

}  // namespace domicile::policy
