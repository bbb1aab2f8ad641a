// Entities: the entity store a decision is made against — each entity's attributes and its
// parents in the hierarchy. The transitive closure of the parent relation is computed once at
// construction, so `in` is a lookup, not a graph walk, at decision time.
//
// A parent need not itself be in the store (it then has no attributes and no parents of its
// own). A cycle in the hierarchy is refused, as Cedar refuses it.
//
// Thread safety: immutable after construction; safe to share between threads.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"
#include "policy/entity_uid.h"
#include "policy/value.h"

namespace domicile::policy {

struct Entity {
  EntityUid uid;
  std::map<std::string, Value> attrs;
  std::vector<EntityUid> parents;
};

class Entities {
 public:
  Entities() = default;  // empty

  // InvalidArgument on a duplicate uid or a cycle in the hierarchy.
  static absl::StatusOr<Entities> Create(std::vector<Entity> entities);
  // Cedar's entity JSON: [{"uid":{"type":..,"id":..},"attrs":{...},"parents":[{"type","id"}]}].
  // `attrs` and `parents` may be omitted; entity tags (`tags`) are not supported.
  static absl::StatusOr<Entities> FromJson(const nlohmann::json& json);
  // A few request-scoped entities on top of `base` (which must outlive the result), without
  // copying it: lookups try `extra` first, then `base`. The parents of an extra entity may be
  // in `base` (their ancestors count) or among `extra` (only as direct parents).
  // InvalidArgument if an extra uid repeats or is already in `base`.
  static absl::StatusOr<Entities> Overlay(const Entities* base, std::vector<Entity> extra);

  // The entity with this uid, or nullptr if it is not in the store.
  const Entity* Find(const EntityUid& uid) const;

  // True if `ancestor` is a parent of `child`, or a parent of a parent, and so on. False if they
  // are equal or `child` is not in the store.
  bool IsDescendant(const EntityUid& child, const EntityUid& ancestor) const;

  // All ancestors of `entity`, sorted. REQUIRES: `entity` was returned by this store's Find.
  const std::vector<EntityUid>& AncestorsOf(const Entity& entity) const {
    if (base_ != nullptr && !IsLocal(entity)) return base_->AncestorsOf(entity);
    return ancestors_[&entity - entities_.data()];
  }
  // Same, as a sorted-set membership test.
  bool HasAncestor(const Entity& entity, const EntityUid& ancestor) const;

  // The entities of this store (for an overlay: its extra entities only).
  size_t size() const { return entities_.size(); }
  const std::vector<Entity>& entities() const { return entities_; }

 private:
  bool IsLocal(const Entity& entity) const {
    return !entities_.empty() && &entity >= entities_.data() &&
           &entity < entities_.data() + entities_.size();
  }

  const Entities* base_ = nullptr;  // set for an overlay
  std::vector<Entity> entities_;
  std::vector<std::vector<EntityUid>> ancestors_;  // parallel to entities_
  std::unordered_map<EntityUid, size_t> index_;
};

}  // namespace domicile::policy
