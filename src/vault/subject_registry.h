// SubjectRegistry: who the node holds data about, and each one's home jurisdiction, fixed at
// registration. Kept in the node's own metadata store under s/<subject> as JSON
// {"jurisdiction": "US", "registered_at": <unix seconds>}. A subject's jurisdiction never
// changes, so lookups are cached in memory (bounded: the cache is emptied when it is full).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "util/clock.h"

namespace domicile::vault {

class SubjectRegistry {
 public:
  SubjectRegistry(std::unique_ptr<store::KvStore> meta, const Clock* clock);

  // Registers `id` in `jurisdiction`. Returns true if newly registered, false if it already was
  // with the same jurisdiction; Conflict (error name "conflict") if it was with another.
  absl::StatusOr<bool> Register(std::string_view id, std::string_view jurisdiction);

  // The subject's home jurisdiction; NotFound if it is not registered.
  absl::StatusOr<std::string> Jurisdiction(std::string_view id) const;

  // The subject directory a router reads: registered subjects with an id after `after`, in
  // ascending id order, at most `limit` of them. `next` is the last id visited when there may
  // be more, "" otherwise.
  struct Listed {
    std::string id;
    std::string jurisdiction;
  };
  absl::StatusOr<std::vector<Listed>> List(std::string_view after, size_t limit,
                                           std::string* next) const;

  // Forgets the subject (right to erasure) and remembers when, under e/<subject> as JSON
  // {"erased_at": <unix seconds>}: a restore skips what a backup holds of it.
  absl::Status Erase(std::string_view id);
  // When the subject was last erased (unix seconds), or nullopt if never.
  absl::StatusOr<std::optional<int64_t>> ErasedAt(std::string_view id) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr size_t kMaxCached = 1 << 16;
  void Remember(std::string_view id, std::string_view jurisdiction) const;

  std::unique_ptr<store::KvStore> meta_;
  const Clock* clock_;
  std::mutex register_mu_;  // serialises read-check-write of registrations
  mutable std::shared_mutex cache_mu_;
  mutable std::unordered_map<std::string, std::string, Hash, std::equal_to<>> cache_;
};

}  // namespace domicile::vault
