// EntityUid: the identity of a Cedar entity, a type name (possibly namespaced, `A::B`) and an
// id string. It is what `principal`, `action` and `resource` are, what entity references
// (`User::"alice"`) evaluate to, and the key of the entity store.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace domicile::policy {

struct EntityUid {
  std::string type;
  std::string id;

  friend bool operator==(const EntityUid& a, const EntityUid& b) {
    return a.type == b.type && a.id == b.id;
  }
  friend bool operator<(const EntityUid& a, const EntityUid& b) {
    int c = a.type.compare(b.type);
    return c != 0 ? c < 0 : a.id < b.id;
  }

  // `Type::"id"`, with the id escaped as Cedar prints it (quotes, backslashes and control
  // characters escaped), so the result parses back to the same uid.
  std::string ToString() const;

  template <typename H>
  friend H AbslHashValue(H h, const EntityUid& uid) {
    return H::combine(std::move(h), uid.type, uid.id);
  }
};

// Cedar's escaping of a string's contents, without the surrounding quotes.
std::string EscapeCedarString(std::string_view s);

// True if `name` is a valid entity type name: identifiers separated by `::`, none reserved.
bool IsValidTypeName(std::string_view name);

// True for Cedar's reserved words, which cannot be identifiers.
bool IsReservedWord(std::string_view word);

}  // namespace domicile::policy

template <>
struct std::hash<domicile::policy::EntityUid> {
  size_t operator()(const domicile::policy::EntityUid& uid) const noexcept {
    size_t h = std::hash<std::string>()(uid.type);
    return h ^ (std::hash<std::string>()(uid.id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};
