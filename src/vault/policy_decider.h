// PolicyDecider: the Decider that asks the Cedar-subset policy engine. Each request becomes a
// Cedar request over the policy model (policy_model.h): the principal's and the resource's
// entities, the action, and a context whose source_jurisdiction comes from the NetworkMap.
// The active policy set can be replaced at run time, atomically: a decision uses one set from
// start to end, and names that set by its SHA-256.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "policy/entities.h"
#include "policy/policy_set.h"
#include "vault/decider.h"
#include "vault/network_map.h"

namespace domicile::vault {

class PolicyDecider final : public Decider {
 public:
  PolicyDecider(policy::PolicySet policies, NetworkMap network);

  Decision Decide(const Principal& principal, Action action, const Resource& resource,
                  const RequestContext& context) const override;

  // Makes `policies` the active set. The caller has parsed and linted it.
  void Replace(policy::PolicySet policies);

  // The active set and its hex SHA-256 (over its source text).
  policy::PolicySet policies() const;
  std::string policy_sha256() const;

 private:
  struct Active {
    policy::PolicySet policies;
    std::string sha256;
  };
  std::shared_ptr<const Active> Load() const;
  // The principal's entity (and its hierarchy) as a store of its own, built once per principal:
  // a request only adds the resource on top (Entities::Overlay).
  const policy::Entities* PrincipalStore(const Principal& principal) const;

  const NetworkMap network_;
  mutable std::mutex mu_;
  std::shared_ptr<const Active> active_;  // guarded by mu_ (the pointer, not the set)
  mutable std::shared_mutex principals_mu_;
  mutable std::unordered_map<std::string, std::unique_ptr<const policy::Entities>> principals_;
};

// The hex SHA-256 that names a policy set: over its source text.
std::string PolicySetSha256(const policy::PolicySet& policies);

}  // namespace domicile::vault
