// SiteKeys: the data keys a lifecycle operation uses at one site — unwrapped through the key
// custodian when the subject has one there, made new (and wrapped under the site's KEK) when it
// has none — kept in memory only while the operation runs, and wiped when it forgets them. The
// custodian is told why each time: the operation, its principal, and the index of its logged
// decision.
//
// Not thread-safe: one per operation.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "keys/envelope.h"
#include "vault/key_custodian.h"
#include "vault/site_store.h"

namespace domicile::ops {

// Waits for the custodian's answer to an unwrap.
absl::StatusOr<crypto::SecretBytes> UnwrapNow(vault::KeyCustodian& custodian,
                                              const vault::Justification& why,
                                              const keys::WrappedDataKey& wrapped);

class SiteKeys {
 public:
  // `why` names the principal, action, jurisdiction and log index; SiteKeys fills in the site,
  // subject and class of each key.
  SiteKeys(vault::KeyCustodian& custodian, const vault::SiteStore& site, vault::Justification why)
      : custodian_(custodian), site_(site), why_(std::move(why)) {
    why_.site = site.site().id;
    why_.kind = vault::Resource::Kind::kSubject;
  }

  struct Key {
    const crypto::SecretBytes* key = nullptr;
    // Set when the key was made now: the caller stores it with the first record it seals.
    std::optional<keys::WrappedDataKey> created;
  };
  // The subject's data key of class `cls` at the site. With `create`, one is made if the site
  // has none (and returned with `created` until MarkStored); without it, NotFound.
  absl::StatusOr<Key> Get(std::string_view subject, vault::Classification cls, bool create);
  // The created keys are stored now (their batch was written).
  void MarkStored();
  // Forgets every key (after a failed batch, or to bound memory).
  void Forget();
  size_t size() const { return keys_.size(); }

 private:
  struct Held {
    crypto::SecretBytes key;
    std::optional<keys::WrappedDataKey> created;  // not yet stored
  };
  vault::KeyCustodian& custodian_;
  const vault::SiteStore& site_;
  vault::Justification why_;
  std::map<std::string, Held, std::less<>> keys_;  // by DataKeyStoreKey(subject, class)
  std::vector<Held*> unstored_;                    // those whose `created` is set
  // The key asked for last, found again without a lookup.
  const Held* last_ = nullptr;
  std::string last_subject_;
  vault::Classification last_cls_{};
};

// The KEK of `jurisdiction`'s data of class `cls` at `site`.
std::string KekFor(std::string_view site, std::string_view jurisdiction, vault::Classification cls);

}  // namespace domicile::ops
