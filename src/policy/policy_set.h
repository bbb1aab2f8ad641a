// PolicySet: an immutable, compiled set of Cedar policies in source order, each with a unique
// id, plus an index over their scopes. Copies share the compiled form, so a set can be swapped
// atomically by whoever holds it and shared between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/policy.h"
#include "policy/policy_index.h"

namespace domicile::policy {

class PolicySet {
 public:
  PolicySet();  // the empty set: every request is denied by default

  // InvalidArgument if two policies share an id.
  static absl::StatusOr<PolicySet> Create(std::vector<Policy> policies, std::string source_text);

  // The policies of all `sets`, in order. Default ids (those not given by @id) are renumbered
  // "policy<N>" by position in the merged set, so they keep counting across files as if the
  // files had been one text. InvalidArgument on a duplicate id. The merged source text is the
  // sources joined with "\n".
  static absl::StatusOr<PolicySet> Merge(const std::vector<PolicySet>& sets);

  size_t size() const;
  bool empty() const { return size() == 0; }
  const std::vector<Policy>& policies() const;
  const Policy& policy(size_t i) const { return policies()[i]; }
  const std::vector<std::string>& ids() const;
  // The policy with this id, or nullptr.
  const Policy* Find(std::string_view id) const;

  // All source texts this set was parsed from, joined with "\n" (hash it to identify the set).
  const std::string& source_text() const;

  const PolicyIndex& index() const;

 private:
  struct Impl;
  explicit PolicySet(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace domicile::policy
