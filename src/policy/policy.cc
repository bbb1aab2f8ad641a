#include "policy/policy.h"

#include "fmt/format.h"

namespace domicile::policy {

std::string_view EffectName(Effect effect) {
  return effect == Effect::kPermit ? "permit" : "forbid";
}

std::string ScopeConstraint::ToString(std::string_view var) const {
  switch (kind) {
    case Kind::kAny:
      return std::string(var);
    case Kind::kEq:
      return fmt::format("{} == {}", var, uids[0].ToString());
    case Kind::kIn: {
      if (!list) return fmt::format("{} in {}", var, uids[0].ToString());
      std::string out = fmt::format("{} in [", var);
      for (size_t i = 0; i < uids.size(); ++i) out += (i ? ", " : "") + uids[i].ToString();
      return out + "]";
    }
    case Kind::kIs:
      return fmt::format("{} is {}", var, type);
    case Kind::kIsIn:
      return fmt::format("{} is {} in {}", var, type, uids[0].ToString());
  }
  return "";
}

}  // namespace domicile::policy
