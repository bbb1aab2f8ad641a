// FastJson: writes canonical JSON (docs/events.md: keys sorted, no insignificant whitespace)
// straight into a string, for the events written on hot paths (a read's access event, a
// custodian's decision), instead of building a JSON tree. The caller writes keys in sorted
// order. It handles only strings of printable ASCII: a method returns false for anything else,
// and the caller then falls back to nlohmann::json (CanonicalJson), which escapes it; `out` is
// unspecified after a false. Tests hold each user to the same bytes as CanonicalJson.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace domicile::vault {

class FastJson {
 public:
  explicit FastJson(std::string& out) : out_(out) {}
  bool String(std::string_view s) {
    out_.push_back('"');
    for (char c : s) {
      if (c < 0x20 || c > 0x7e) return false;
      if (c == '"' || c == '\\') out_.push_back('\\');
      out_.push_back(c);
    }
    out_.push_back('"');
    return true;
  }
  bool Key(std::string_view k) {
    out_.push_back(first_ ? '{' : ',');
    first_ = false;
    bool ok = String(k);
    out_.push_back(':');
    return ok;
  }
  bool Field(std::string_view k, std::string_view v) { return Key(k) && String(v); }
  bool Strings(std::string_view k, const std::vector<std::string>& values) {
    if (!Key(k)) return false;
    out_.push_back('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_.push_back(',');
      if (!String(values[i])) return false;
    }
    out_.push_back(']');
    return true;
  }
  void Raw(std::string_view k, std::string_view raw) {
    Key(k);
    out_.append(raw);
  }
  bool Bool(std::string_view k, bool v) {
    if (!Key(k)) return false;
    out_.append(v ? "true" : "false");
    return true;
  }
  bool Number(std::string_view k, uint64_t v) {
    if (!Key(k)) return false;
    out_.append(std::to_string(v));
    return true;
  }
  void Open() { first_ = true; }
  void Close() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace domicile::vault
