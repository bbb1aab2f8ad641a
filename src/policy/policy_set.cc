#include "policy/policy_set.h"

#include <unordered_map>

#include "fmt/format.h"

namespace domicile::policy {

struct PolicySet::Impl {
  std::vector<Policy> policies;
  std::vector<std::string> ids;
  std::unordered_map<std::string, size_t> by_id;
  std::string source_text;
  PolicyIndex index;
};

PolicySet::PolicySet() : impl_(std::make_shared<const Impl>()) {}

absl::StatusOr<PolicySet> PolicySet::Create(std::vector<Policy> policies, std::string source_text) {
  auto impl = std::make_shared<Impl>();
  for (size_t i = 0; i < policies.size(); ++i) {
    auto [it, inserted] = impl->by_id.emplace(policies[i].id, i);
    if (!inserted) {
      const SourceLocation& a = policies[it->second].location;
      const SourceLocation& b = policies[i].location;
      return absl::InvalidArgumentError(
          fmt::format("{}:{}:{}: duplicate policy id \"{}\" (first used at {}:{}:{})", b.file,
                      b.line, b.column, policies[i].id, a.file, a.line, a.column));
    }
    impl->ids.push_back(policies[i].id);
  }
  impl->index = PolicyIndex(policies);
  impl->policies = std::move(policies);
  impl->source_text = std::move(source_text);
  return PolicySet(std::move(impl));
}

absl::StatusOr<PolicySet> PolicySet::Merge(const std::vector<PolicySet>& sets) {
  std::vector<Policy> policies;
  std::string source;
  for (size_t s = 0; s < sets.size(); ++s) {
    if (s > 0) source += "\n";
    source += sets[s].source_text();
    for (const Policy& p : sets[s].policies()) {
      policies.push_back(p);
      if (p.default_id) policies.back().id = fmt::format("policy{}", policies.size() - 1);
    }
  }
  return Create(std::move(policies), std::move(source));
}

size_t PolicySet::size() const { return impl_->policies.size(); }
const std::vector<Policy>& PolicySet::policies() const { return impl_->policies; }
const std::vector<std::string>& PolicySet::ids() const { return impl_->ids; }
const std::string& PolicySet::source_text() const { return impl_->source_text; }
const PolicyIndex& PolicySet::index() const { return impl_->index; }

const Policy* PolicySet::Find(std::string_view id) const {
  auto it = impl_->by_id.find(std::string(id));
  return it == impl_->by_id.end() ? nullptr : &impl_->policies[it->second];
}

}  // namespace domicile::policy
