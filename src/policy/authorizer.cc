#include "policy/authorizer.h"

#include <cstdint>

#include "policy/evaluator.h"

namespace domicile::policy {

Response IsAuthorized(const PolicySet& policies, const Entities& entities, const Request& request) {
  Response response;
  if (!request.context.is_record()) {
    response.errors.push_back({"", "the request context must be a record"});
    return response;
  }
  Evaluator evaluator(entities, request);
  const std::vector<Policy>& all = policies.policies();

  thread_local std::vector<uint32_t> candidates;
  const PolicyIndex& index = policies.index();
  if (index.enabled()) {
    const EntityUid* uids[3] = {&request.principal, &request.action, &request.resource};
    const Entity* found[3] = {evaluator.principal_entity(), evaluator.action_entity(),
                              evaluator.resource_entity()};
    index.Candidates(uids, found, entities, &candidates);
  }
  const size_t n = index.enabled() ? candidates.size() : all.size();

  // Satisfied permits and forbids, by index, in policy order.
  thread_local std::vector<uint32_t> permits, forbids;
  permits.clear();
  forbids.clear();
  std::string error;
  for (size_t k = 0; k < n; ++k) {
    uint32_t i = index.enabled() ? candidates[k] : static_cast<uint32_t>(k);
    const Policy& policy = all[i];
    if (!evaluator.ScopeMatches(policy)) continue;
    switch (evaluator.EvaluateConditions(policy, &error)) {
      case Evaluator::Outcome::kSatisfied:
        (policy.effect == Effect::kPermit ? permits : forbids).push_back(i);
        break;
      case Evaluator::Outcome::kNotSatisfied:
        break;
      case Evaluator::Outcome::kError:
        response.errors.push_back({policy.id, std::move(error)});
        break;
    }
  }
  const std::vector<uint32_t>* determining = nullptr;
  if (!forbids.empty()) {
    determining = &forbids;
  } else if (!permits.empty()) {
    response.allow = true;
    determining = &permits;
  }
  if (determining != nullptr) {
    response.determining.reserve(determining->size());
    for (uint32_t i : *determining) response.determining.push_back(all[i].id);
  }
  return response;
}

}  // namespace domicile::policy
