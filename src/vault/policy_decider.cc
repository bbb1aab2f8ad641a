#include "vault/policy_decider.h"

#include "crypto/sha256.h"
#include "fmt/format.h"
#include "policy/authorizer.h"
#include "util/encoding.h"
#include "vault/policy_model.h"

namespace domicile::vault {
namespace {

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ", ";
    out += id;
  }
  return out;
}

}  // namespace

std::string PolicySetSha256(const policy::PolicySet& policies) {
  return HexEncode(crypto::Sha256(AsBytes(policies.source_text())));
}

PolicyDecider::PolicyDecider(policy::PolicySet policies, NetworkMap network)
    : network_(std::move(network)) {
  Replace(std::move(policies));
}

void PolicyDecider::Replace(policy::PolicySet policies) {
  auto active = std::make_shared<Active>();
  active->sha256 = PolicySetSha256(policies);
  active->policies = std::move(policies);
  std::lock_guard lock(mu_);
  active_ = std::move(active);
}

std::shared_ptr<const PolicyDecider::Active> PolicyDecider::Load() const {
  std::lock_guard lock(mu_);
  return active_;
}

policy::PolicySet PolicyDecider::policies() const { return Load()->policies; }
std::string PolicyDecider::policy_sha256() const { return Load()->sha256; }

const policy::Entities* PolicyDecider::PrincipalStore(const Principal& principal) const {
  const std::string key = fmt::format("{}/{}", PrincipalTypeName(principal.type), principal.id);
  {
    std::shared_lock lock(principals_mu_);
    if (auto it = principals_.find(key); it != principals_.end()) return it->second.get();
  }
  absl::StatusOr<policy::Entities> store = policy::Entities::Create({PrincipalEntity(principal)});
  if (!store.ok()) return nullptr;
  std::unique_lock lock(principals_mu_);
  auto [it, inserted] =
      principals_.try_emplace(key, std::make_unique<policy::Entities>(std::move(*store)));
  return it->second.get();
}

Decision PolicyDecider::Decide(const Principal& principal, Action action, const Resource& resource,
                               const RequestContext& context) const {
  std::shared_ptr<const Active> active = Load();
  Decision d;
  d.policy_sha256 = active->sha256;
  policy::Entity resource_entity = ResourceEntity(resource);
  policy::EntityUid resource_uid = resource_entity.uid;
  const policy::Entities* principal_store = PrincipalStore(principal);
  absl::StatusOr<policy::Entities> entities =
      principal_store == nullptr
          ? absl::StatusOr<policy::Entities>(absl::InternalError("principal entity"))
          : policy::Entities::Overlay(principal_store, {std::move(resource_entity)});
  if (!entities.ok()) {
    // Fail closed: a request the model cannot express is denied.
    d.reason =
        fmt::format("request cannot be evaluated: {}", std::string(entities.status().message()));
    return d;
  }
  policy::Request request{
      PrincipalUid(principal), ActionUid(action), resource_uid,
      ContextValue(context, network_.Lookup(context.source_ip), principal, action, resource)};
  policy::Response response = policy::IsAuthorized(active->policies, *entities, request);
  d.allow = response.allow;
  d.determining = std::move(response.determining);
  for (const policy::Diagnostic& e : response.errors) {
    d.diagnostics.push_back(e.policy_id.empty() ? e.message
                                                : fmt::format("{}: {}", e.policy_id, e.message));
  }
  if (d.allow) {
    d.reason = "permitted by " + Join(d.determining);
  } else if (!d.determining.empty()) {
    d.reason = "forbidden by " + Join(d.determining);
  } else {
    d.reason = fmt::format("no policy permits {} to {} {}", request.principal.ToString(),
                           ActionName(action), resource_uid.ToString());
  }
  return d;
}

}  // namespace domicile::vault
