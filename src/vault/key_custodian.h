// KeyCustodian: the only way the vault gets at data keys. The custodian holds the key-encryption
// keys of a jurisdiction (in a key provider: a file keyring or an HSM) and releases a subject's
// data key only with a justification that its own rules accept: who asks, for what, on which
// record, the log index of the node's allow decision, and the grant with its approvers'
// signatures, which it checks itself (src/custodian, docs/access.md). The node runs one in
// process (the embedded default) or talks to one run by the trusted partner over HTTP.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "keys/envelope.h"
#include "vault/decider.h"
#include "vault/grant_facts.h"
#include "vault/principal.h"

namespace domicile::vault {

// Why the node needs a data key. Owns its strings: it may travel to another thread or process.
struct Justification {
  Principal principal;
  Action action = Action::kRead;
  // The record (or subject, for a first write) the key is for.
  Resource::Kind kind = Resource::Kind::kRecord;
  std::string subject, key, jurisdiction, site;
  Classification classification = Classification::kProtected;
  // The index of the node's durable allow decision in its transparency log.
  uint64_t log_index = 0;
  // The grant the request named, with its signed approvals; null when none.
  std::shared_ptr<const GrantFacts> grant;
};

class KeyCustodian {
 public:
  virtual ~KeyCustodian() = default;

  using UnwrapDone = std::function<void(absl::StatusOr<crypto::SecretBytes>)>;
  // Releases the data key `wrapped` if `why` satisfies the custodian's rules. Calls `done`
  // exactly once, inline or on another thread, quickly: with the key; PermissionDenied (error
  // name "custodian_refused", with the reason) when refused; Unavailable when the custodian
  // cannot be reached or cannot log its decision; NotFound when the KEK does not exist.
  virtual void Unwrap(const Justification& why, const keys::WrappedDataKey& wrapped,
                      UnwrapDone done) = 0;

  // Creates KEK `kek_id` unless it exists (logged by the custodian). Blocks.
  virtual absl::Status EnsureKek(std::string_view kek_id) = 0;

  // A fresh data key wrapped under `kek_id`, for the first record of a subject at a site, given
  // the node's allow decision for that write. Blocks.
  virtual absl::StatusOr<keys::NewDataKey> NewDataKey(const Justification& why,
                                                      std::string_view kek_id) = 0;

  // Tells the custodian that grant `id` was revoked: it releases nothing under it any more.
  virtual absl::Status GrantRevoked(std::string_view id) = 0;

  // Destroys KEK `kek_id` for good (crypto-shredding: every data key wrapped under it, and every
  // value sealed under those, becomes unrecoverable, backups included), given the node's
  // durable allow decision for the shred. The custodian remembers the id and never creates it
  // again. OK if it was already destroyed. Blocks.
  virtual absl::Status DestroyKek(const Justification& why, std::string_view kek_id) = 0;
};

// A custodian that checks nothing but that the key provider holds the KEK. For unit tests and
// benchmarks of the vault only: a node never uses it (src/cli/node.cc builds a
// custodian::Custodian, in process or remote).
class UncheckedCustodian final : public KeyCustodian {
 public:
  explicit UncheckedCustodian(std::unique_ptr<keys::KeyProvider> keys) : keys_(std::move(keys)) {}
  void Unwrap(const Justification&, const keys::WrappedDataKey& wrapped, UnwrapDone done) override {
    done(keys::UnwrapDataKey(*keys_, wrapped));
  }
  absl::Status EnsureKek(std::string_view kek_id) override { return keys_->CreateKey(kek_id); }
  absl::StatusOr<keys::NewDataKey> NewDataKey(const Justification&,
                                              std::string_view kek_id) override {
    return keys::GenerateDataKey(*keys_, kek_id);
  }
  absl::Status GrantRevoked(std::string_view) override { return absl::OkStatus(); }
  absl::Status DestroyKek(const Justification&, std::string_view kek_id) override {
    absl::Status s = keys_->DestroyKey(kek_id);
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  }
  keys::KeyProvider& keys() { return *keys_; }

 private:
  std::unique_ptr<keys::KeyProvider> keys_;
};

}  // namespace domicile::vault
