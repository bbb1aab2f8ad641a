// LikePattern: the pattern of Cedar's `like` operator. `*` matches any sequence of characters
// (including none); `\*` in the literal stands for a literal star. Compiled once at parse time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace domicile::policy {

class LikePattern {
 public:
  // One element per pattern character; kWildcard for an unescaped `*`.
  static constexpr int16_t kWildcard = -1;

  LikePattern() = default;
  explicit LikePattern(std::vector<int16_t> elements) : elements_(std::move(elements)) {}

  bool Matches(std::string_view s) const;

  // The pattern as Cedar source text, quotes included.
  std::string ToString() const;

 private:
  std::vector<int16_t> elements_;  // a byte (0..255) or kWildcard
};

}  // namespace domicile::policy
