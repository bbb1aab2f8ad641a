#include "policy/entities.h"

#include <algorithm>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "util/status_macros.h"

namespace domicile::policy {

absl::StatusOr<Entities> Entities::Create(std::vector<Entity> entities) {
  Entities out;
  out.entities_ = std::move(entities);
  out.index_.reserve(out.entities_.size());
  for (size_t i = 0; i < out.entities_.size(); ++i) {
    if (!out.index_.emplace(out.entities_[i].uid, i).second) {
      return absl::InvalidArgumentError(
          fmt::format("duplicate entity {}", out.entities_[i].uid.ToString()));
    }
  }
  // Depth-first transitive closure with memoisation; state 1 = on the stack (cycle detection).
  size_t n = out.entities_.size();
  out.ancestors_.assign(n, {});
  std::vector<uint8_t> state(n, 0);  // 0 new, 1 visiting, 2 done
  struct Frame {
    size_t node;
    size_t next_parent;
  };
  std::vector<Frame> stack;
  for (size_t root = 0; root < n; ++root) {
    if (state[root] != 0) continue;
    stack.push_back({root, 0});
    state[root] = 1;
    while (!stack.empty()) {
      Frame& f = stack.back();
      const std::vector<EntityUid>& parents = out.entities_[f.node].parents;
      if (f.next_parent < parents.size()) {
        const EntityUid& p = parents[f.next_parent++];
        auto it = out.index_.find(p);
        if (it == out.index_.end()) continue;
        size_t pi = it->second;
        if (state[pi] == 1) {
          return absl::InvalidArgumentError(fmt::format(
              "the entity hierarchy has a cycle through {}", out.entities_[pi].uid.ToString()));
        }
        if (state[pi] == 0) {
          state[pi] = 1;
          stack.push_back({pi, 0});
        }
        continue;
      }
      // All parents done: ancestors = parents ∪ their ancestors.
      std::vector<EntityUid>& anc = out.ancestors_[f.node];
      for (const EntityUid& p : parents) {
        anc.push_back(p);
        auto it = out.index_.find(p);
        if (it != out.index_.end()) {
          const std::vector<EntityUid>& pa = out.ancestors_[it->second];
          anc.insert(anc.end(), pa.begin(), pa.end());
        }
      }
      std::sort(anc.begin(), anc.end());
      anc.erase(std::unique(anc.begin(), anc.end()), anc.end());
      state[f.node] = 2;
      stack.pop_back();
    }
  }
  return out;
}

absl::StatusOr<Entities> Entities::FromJson(const nlohmann::json& json) {
  if (!json.is_array()) {
    return absl::InvalidArgumentError("the entities must be a JSON array");
  }
  std::vector<Entity> entities;
  entities.reserve(json.size());
  for (const nlohmann::json& e : json) {
    if (!e.is_object() || !e.contains("uid")) {
      return absl::InvalidArgumentError(
          fmt::format("an entity must be an object with a `uid`, got {}", e.dump()));
    }
    for (const auto& [key, unused] : e.items()) {
      if (key != "uid" && key != "attrs" && key != "parents") {
        return absl::InvalidArgumentError(
            key == "tags" ? std::string("entity tags (`tags`) are not supported")
                          : fmt::format("unknown entity field `{}`", key));
      }
    }
    Entity entity;
    ASSIGN_OR_RETURN(entity.uid, EntityUidFromJson(e["uid"]));
    if (e.contains("attrs")) {
      const nlohmann::json& attrs = e["attrs"];
      if (!attrs.is_object()) {
        return absl::InvalidArgumentError(
            fmt::format("the attrs of {} must be an object", entity.uid.ToString()));
      }
      for (const auto& [k, v] : attrs.items()) {
        auto value = ValueFromJson(v);
        if (!value.ok()) {
          return absl::InvalidArgumentError(fmt::format("attribute `{}` of {}: {}", k,
                                                        entity.uid.ToString(),
                                                        std::string(value.status().message())));
        }
        entity.attrs.emplace(k, *std::move(value));
      }
    }
    if (e.contains("parents")) {
      const nlohmann::json& parents = e["parents"];
      if (!parents.is_array()) {
        return absl::InvalidArgumentError(
            fmt::format("the parents of {} must be an array", entity.uid.ToString()));
      }
      for (const nlohmann::json& p : parents) {
        ASSIGN_OR_RETURN(EntityUid parent, EntityUidFromJson(p));
        entity.parents.push_back(std::move(parent));
      }
    }
    entities.push_back(std::move(entity));
  }
  return Create(std::move(entities));
}

absl::StatusOr<Entities> Entities::Overlay(const Entities* base, std::vector<Entity> extra) {
  Entities out;
  out.base_ = base;
  out.entities_ = std::move(extra);
  out.ancestors_.resize(out.entities_.size());
  for (size_t i = 0; i < out.entities_.size(); ++i) {
    const Entity& e = out.entities_[i];
    for (size_t j = 0; j < i; ++j) {
      if (out.entities_[j].uid == e.uid) {
        return absl::InvalidArgumentError(fmt::format("duplicate entity {}", e.uid.ToString()));
      }
    }
    if (base->Find(e.uid) != nullptr) {
      return absl::InvalidArgumentError(fmt::format("duplicate entity {}", e.uid.ToString()));
    }
    std::vector<EntityUid>& anc = out.ancestors_[i];
    for (const EntityUid& p : e.parents) {
      anc.push_back(p);
      if (const Entity* pe = base->Find(p); pe != nullptr) {
        const std::vector<EntityUid>& pa = base->AncestorsOf(*pe);
        anc.insert(anc.end(), pa.begin(), pa.end());
      }
    }
    std::sort(anc.begin(), anc.end());
    anc.erase(std::unique(anc.begin(), anc.end()), anc.end());
  }
  return out;
}

const Entity* Entities::Find(const EntityUid& uid) const {
  if (base_ != nullptr) {
    for (const Entity& e : entities_) {
      if (e.uid == uid) return &e;
    }
    return base_->Find(uid);
  }
  auto it = index_.find(uid);
  return it == index_.end() ? nullptr : &entities_[it->second];
}

bool Entities::HasAncestor(const Entity& entity, const EntityUid& ancestor) const {
  const std::vector<EntityUid>& anc = AncestorsOf(entity);
  if (anc.size() <= 8) {
    for (const EntityUid& a : anc) {
      if (a == ancestor) return true;
    }
    return false;
  }
  return std::binary_search(anc.begin(), anc.end(), ancestor);
}

bool Entities::IsDescendant(const EntityUid& child, const EntityUid& ancestor) const {
  const Entity* e = Find(child);
  return e != nullptr && HasAncestor(*e, ancestor);
}

}  // namespace domicile::policy
