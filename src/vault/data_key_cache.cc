#include "vault/data_key_cache.h"

#include <utility>

namespace domicile::vault {

std::string DataKeyCache::EntryKey(std::string_view holder, std::string_view site,
                                   std::string_view subject) {
  std::string key;
  key.reserve(holder.size() + site.size() + subject.size() + 2);
  key.append(holder).append(1, '\n').append(site).append(1, '\n').append(subject);
  return key;
}

std::shared_ptr<const crypto::SecretBytes> DataKeyCache::Get(const std::string& entry,
                                                             int64_t now) {
  std::lock_guard lock(mu_);
  auto it = index_.find(entry);
  if (it == index_.end()) return nullptr;
  if (now >= it->second->expires) {
    lru_.erase(it->second);
    index_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->data_key;
}

void DataKeyCache::Put(std::string entry, std::string grant_id,
                       std::shared_ptr<const crypto::SecretBytes> key, int64_t expires) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(entry); it != index_.end()) {
    it->second->data_key = std::move(key);
    it->second->expires = expires;
    it->second->grant_id = std::move(grant_id);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (lru_.size() >= capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{entry, std::move(grant_id), std::move(key), expires});
  index_.emplace(std::move(entry), lru_.begin());
}

void DataKeyCache::DropGrant(std::string_view grant_id) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->grant_id == grant_id) {
      index_.erase(it->key);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

void DataKeyCache::Clear() {
  std::lock_guard lock(mu_);
  index_.clear();
  lru_.clear();
}

size_t DataKeyCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace domicile::vault
