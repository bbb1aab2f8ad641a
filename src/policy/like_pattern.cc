#include "policy/like_pattern.h"

#include "policy/entity_uid.h"

namespace domicile::policy {

// Matching on UTF-8 bytes is the same as on characters: a literal run always starts at a
// character boundary because valid UTF-8 never starts with a continuation byte.
bool LikePattern::Matches(std::string_view s) const {
  size_t p = 0, i = 0;
  size_t star = std::string_view::npos, star_i = 0;
  const size_t n = elements_.size();
  while (i < s.size()) {
    if (p < n && elements_[p] == kWildcard) {
      star = p++;
      star_i = i;
    } else if (p < n && elements_[p] == static_cast<unsigned char>(s[i])) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (p < n && elements_[p] == kWildcard) ++p;
  return p == n;
}

std::string LikePattern::ToString() const {
  std::string literal;
  std::string out = "\"";
  auto flush = [&] {
    out += EscapeCedarString(literal);
    literal.clear();
  };
  for (int16_t e : elements_) {
    if (e == kWildcard) {
      flush();
      out += '*';
    } else if (e == '*') {
      flush();
      out += "\\*";
    } else {
      literal += static_cast<char>(e);
    }
  }
  flush();
  return out + "\"";
}

}  // namespace domicile::policy
