#include "ops/site_keys.h"

#include <future>

#include "fmt/format.h"
#include "util/status_macros.h"

namespace domicile::ops {

absl::StatusOr<crypto::SecretBytes> UnwrapNow(vault::KeyCustodian& custodian,
                                              const vault::Justification& why,
                                              const keys::WrappedDataKey& wrapped) {
  std::promise<absl::StatusOr<crypto::SecretBytes>> promise;
  auto future = promise.get_future();
  custodian.Unwrap(why, wrapped, [&promise](absl::StatusOr<crypto::SecretBytes> key) {
    promise.set_value(std::move(key));
  });
  return future.get();
}

std::string KekFor(std::string_view site, std::string_view jurisdiction,
                   vault::Classification cls) {
  return cls == vault::Classification::kPublic ? keys::PublicKekId(site, jurisdiction)
                                               : keys::KekId(site, jurisdiction);
}

absl::StatusOr<SiteKeys::Key> SiteKeys::Get(std::string_view subject, vault::Classification cls,
                                            bool create) {
  // A bulk pass asks for one subject's key record after record.
  if (last_ != nullptr && last_cls_ == cls && last_subject_ == subject) {
    return Key{&last_->key, last_->created};
  }
  const std::string id = vault::DataKeyStoreKey(subject, cls);
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    vault::Justification why = why_;
    why.subject = std::string(subject);
    why.classification = cls;
    ASSIGN_OR_RETURN(std::optional<keys::WrappedDataKey> stored, site_.GetDataKey(subject, cls));
    Held held;
    if (stored.has_value()) {
      ASSIGN_OR_RETURN(held.key, UnwrapNow(custodian_, why, *stored));
    } else if (!create) {
      return absl::NotFoundError(fmt::format("site '{}' holds no {} data key of subject '{}'",
                                             site_.site().id, vault::ClassificationName(cls),
                                             subject));
    } else {
      const std::string kek = KekFor(site_.site().id, why_.jurisdiction, cls);
      RETURN_IF_ERROR(custodian_.EnsureKek(kek));
      ASSIGN_OR_RETURN(keys::NewDataKey fresh, custodian_.NewDataKey(why, kek));
      held.key = std::move(fresh.plaintext);
      held.created = std::move(fresh.wrapped);
    }
    it = keys_.emplace(id, std::move(held)).first;
    if (it->second.created.has_value()) unstored_.push_back(&it->second);
  }
  last_ = &it->second;  // std::map's values stay where they are until Forget
  last_subject_.assign(subject);
  last_cls_ = cls;
  return Key{&it->second.key, it->second.created};
}

void SiteKeys::MarkStored() {
  for (Held* held : unstored_) held->created.reset();
  unstored_.clear();
}

void SiteKeys::Forget() {
  last_ = nullptr;
  unstored_.clear();
  keys_.clear();
}

}  // namespace domicile::ops
