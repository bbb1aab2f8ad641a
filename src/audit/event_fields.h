// Lenient readers of an event's fields (docs/events.md), shared by the report's parts: a log is
// untrusted input, so a missing or mistyped field reads as empty, zero or false, never as an
// error.
#pragma once

#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"

namespace domicile::audit {

// The member `key` of `j`, or null when `j` is not an object or has no such member.
inline const nlohmann::json& Member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// The string member `key` of `j`, or "".
inline std::string Str(const nlohmann::json& j, const char* key) {
  const nlohmann::json& m = Member(j, key);
  return m.is_string() ? m.get<std::string>() : "";
}

// The non-negative integer member `key` of `j`, or 0.
inline uint64_t Uint(const nlohmann::json& j, const char* key) {
  const nlohmann::json& m = Member(j, key);
  return m.is_number_unsigned() ? m.get<uint64_t>() : 0;
}

// The boolean member `key` of `j`, or false.
inline bool Bool(const nlohmann::json& j, const char* key) {
  const nlohmann::json& m = Member(j, key);
  return m.is_boolean() && m.get<bool>();
}

}  // namespace domicile::audit
