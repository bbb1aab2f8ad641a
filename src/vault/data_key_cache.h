// DataKeyCache: data keys the custodian released, kept in memory so that repeated reads under
// the same justification do not ask it again. An entry is keyed by what the custodian checked
// (the grant, or the principal, action and class when there is no grant) and the (site,
// subject) of the key; it lives until the grant's expiry (or a fixed TTL without a grant), is
// dropped at once when its grant is revoked, and the least recently used entry goes when the
// cache is full. Keys are SecretBytes: wiped when the last holder lets go.
//
// Every read is still decided by the policy and logged; the cache only spares the custodian.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/secret_bytes.h"

namespace domicile::vault {

class DataKeyCache {
 public:
  // At most `capacity` keys; 0 disables the cache.
  explicit DataKeyCache(size_t capacity) : capacity_(capacity) {}

  // The entry's key: "<holder>\n<site>\n<subject>". `holder` names what was checked.
  static std::string EntryKey(std::string_view holder, std::string_view site,
                              std::string_view subject);

  // The cached key, or null if absent or expired at unix time `now` (then it is dropped).
  std::shared_ptr<const crypto::SecretBytes> Get(const std::string& entry, int64_t now);

  // Keeps `key` until unix time `expires`, under `grant_id` (empty when none) for DropGrant.
  void Put(std::string entry, std::string grant_id, std::shared_ptr<const crypto::SecretBytes> key,
           int64_t expires);

  // Drops every key kept under grant `grant_id`.
  void DropGrant(std::string_view grant_id);
  // Drops every key.
  void Clear();

  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string grant_id;
    std::shared_ptr<const crypto::SecretBytes> data_key;
    int64_t expires = 0;
  };
  using Lru = std::list<Entry>;

  const size_t capacity_;
  mutable std::mutex mu_;
  Lru lru_;  // most recently used first; guarded by mu_
  std::unordered_map<std::string, Lru::iterator> index_;  // guarded by mu_
};

}  // namespace domicile::vault
