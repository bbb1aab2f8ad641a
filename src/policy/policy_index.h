// PolicyIndex: finds the policies whose scope can match a request without looking at all of
// them. Each of the three scope dimensions (principal, action, resource) maps the entity named
// in `== E` / `in E` / `is T in E` / `in [A, B]` to the policies that name it; a request's
// candidates in a dimension are the policies naming its entity or one of that entity's
// ancestors, plus those unconstrained there. The dimension with the fewest candidates is used;
// the evaluator still checks the full scope of each candidate.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "policy/entities.h"
#include "policy/entity_uid.h"
#include "policy/policy.h"

namespace domicile::policy {

class PolicyIndex {
 public:
  PolicyIndex() = default;
  explicit PolicyIndex(const std::vector<Policy>& policies);

  // Below this many policies a scan is cheaper than the index.
  static constexpr size_t kMinPolicies = 32;
  bool enabled() const { return enabled_; }

  // Sets *out to the ascending indices of the candidate policies for a request whose
  // principal, action and resource are uids[0..2]; entities[i] is uids[i]'s entity in `store`,
  // or nullptr if absent.
  void Candidates(const EntityUid* const uids[3], const Entity* const entities[3],
                  const Entities& store, std::vector<uint32_t>* out) const;

 private:
  struct Dimension {
    std::unordered_map<EntityUid, std::vector<uint32_t>> by_uid;
    std::vector<uint32_t> unconstrained;
  };
  bool enabled_ = false;
  Dimension dims_[3];
};

}  // namespace domicile::policy
