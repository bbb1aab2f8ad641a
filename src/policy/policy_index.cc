#include "policy/policy_index.h"

#include <algorithm>

namespace domicile::policy {

PolicyIndex::PolicyIndex(const std::vector<Policy>& policies) {
  enabled_ = policies.size() >= kMinPolicies;
  if (!enabled_) return;
  for (uint32_t i = 0; i < policies.size(); ++i) {
    const ScopeConstraint* scopes[3] = {&policies[i].principal, &policies[i].action,
                                        &policies[i].resource};
    for (int d = 0; d < 3; ++d) {
      const ScopeConstraint& s = *scopes[d];
      if (s.kind == ScopeConstraint::Kind::kAny || s.kind == ScopeConstraint::Kind::kIs ||
          s.uids.empty()) {
        dims_[d].unconstrained.push_back(i);
        continue;
      }
      for (const EntityUid& uid : s.uids) {
        std::vector<uint32_t>& list = dims_[d].by_uid[uid];
        if (list.empty() || list.back() != i) list.push_back(i);
      }
    }
  }
}

void PolicyIndex::Candidates(const EntityUid* const uids[3], const Entity* const entities[3],
                             const Entities& store, std::vector<uint32_t>* out) const {
  thread_local std::vector<const std::vector<uint32_t>*> lists[3];
  size_t best = 0;
  size_t best_total = SIZE_MAX;
  for (int d = 0; d < 3; ++d) {
    std::vector<const std::vector<uint32_t>*>& l = lists[d];
    l.clear();
    size_t total = dims_[d].unconstrained.size();
    if (total > 0) l.push_back(&dims_[d].unconstrained);
    auto add = [&](const EntityUid& uid) {
      auto it = dims_[d].by_uid.find(uid);
      if (it != dims_[d].by_uid.end()) {
        l.push_back(&it->second);
        total += it->second.size();
      }
    };
    add(*uids[d]);
    if (entities[d] != nullptr) {
      for (const EntityUid& a : store.AncestorsOf(*entities[d])) add(a);
    }
    if (total < best_total) {
      best_total = total;
      best = d;
    }
  }
  out->clear();
  const std::vector<const std::vector<uint32_t>*>& chosen = lists[best];
  if (chosen.size() == 1) {
    *out = *chosen[0];
    return;
  }
  out->reserve(best_total);
  for (const std::vector<uint32_t>* l : chosen) out->insert(out->end(), l->begin(), l->end());
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

}  // namespace domicile::policy
