#include "custodian/custodian.h"

#include <algorithm>
#include <future>
#include <utility>
#include <vector>

#include "access/approval.h"
#include "access/grant.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/grant_facts.h"

namespace domicile::custodian {
namespace {

constexpr std::string_view kRevokedPrefix = "revoked/";
constexpr std::string_view kDestroyedPrefix = "destroyed/";

// Splits "site/<site>/<jurisdiction>" (keys::KekId) and "site/<site>/<jurisdiction>/public"
// (keys::PublicKekId).
bool ParseKekId(std::string_view kek_id, std::string_view& site, std::string_view& jurisdiction,
                vault::Classification& cls) {
  constexpr std::string_view kPrefix = "site/";
  constexpr std::string_view kPublic = "/public";
  if (!kek_id.starts_with(kPrefix)) return false;
  kek_id.remove_prefix(kPrefix.size());
  cls = vault::Classification::kProtected;
  if (kek_id.ends_with(kPublic)) {
    kek_id.remove_suffix(kPublic.size());
    cls = vault::Classification::kPublic;
  }
  const size_t slash = kek_id.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == kek_id.size()) return false;
  site = kek_id.substr(0, slash);
  jurisdiction = kek_id.substr(slash + 1);
  return true;
}

// The grant as its approvers signed it: only the fields of the approval statement.
access::Grant StatementFields(const vault::GrantFacts& f) {
  access::Grant g;
  g.id = f.id;
  g.requester = f.requester;
  g.scope_kind = f.scope_kind;
  g.scope_value = f.scope_value;
  g.classification = f.classification;
  g.actions = f.actions;
  g.purpose = f.purpose;
  g.expires = f.expires;
  g.break_glass = f.break_glass;
  return g;
}

// The error an unlogged decision becomes: nothing is released.
absl::Status NotLogged(const absl::Status& cause) {
  return WithErrorCode(
      absl::UnavailableError(fmt::format("the key custodian could not log its decision ({})",
                                         std::string(cause.message()))),
      error_code::kUnavailable);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Custodian>> Custodian::Open(std::unique_ptr<keys::KeyProvider> keys,
                                                           std::unique_ptr<store::KvStore> state,
                                                           const Clock* clock,
                                                           CustodianOptions options) {
  if (options.log == nullptr) {
    return absl::InvalidArgumentError("a custodian needs a log: every decision it makes is logged");
  }
  if (options.quorum < 1) {
    return absl::InvalidArgumentError(
        fmt::format("custodian quorum must be at least 1, not {}", options.quorum));
  }
  std::unique_ptr<Custodian> c(
      new Custodian(std::move(keys), std::move(state), clock, std::move(options)));
  RETURN_IF_ERROR(c->state_->Scan(kRevokedPrefix, [&](std::string_view key, std::string_view) {
    c->revoked_.emplace(key.substr(kRevokedPrefix.size()));
    return true;
  }));
  RETURN_IF_ERROR(c->state_->Scan(kDestroyedPrefix, [&](std::string_view key, std::string_view) {
    c->destroyed_.emplace(key.substr(kDestroyedPrefix.size()));
    return true;
  }));
  return c;
}

Custodian::Custodian(std::unique_ptr<keys::KeyProvider> keys, std::unique_ptr<store::KvStore> state,
                     const Clock* clock, CustodianOptions options)
    : keys_(std::move(keys)),
      state_(std::move(state)),
      clock_(clock),
      options_(std::move(options)) {}

bool Custodian::Revoked(std::string_view id) const {
  std::lock_guard lock(mu_);
  return revoked_.contains(id);
}

absl::Status Custodian::Check(const vault::Justification& why, std::string_view kek_id) const {
  // 1. The key is the record's.
  std::string_view kek_site, kek_jurisdiction;
  vault::Classification kek_class;
  if (!ParseKekId(kek_id, kek_site, kek_jurisdiction, kek_class)) {
    return CustodianRefusedError(fmt::format("'{}' is not a data KEK", kek_id));
  }
  if (why.site != kek_site || why.jurisdiction != kek_jurisdiction ||
      why.classification != kek_class) {
    return CustodianRefusedError(
        fmt::format("the key {} is not the key of a {} {} record at site '{}'", kek_id,
                    why.jurisdiction, vault::ClassificationName(why.classification), why.site));
  }
  // 2. The principal is one it knows, as it knows them.
  const vault::Principal& p = why.principal;
  if (!options_.principals.empty()) {
    auto known = options_.principals.find(p.id);
    if (known == options_.principals.end()) {
      return CustodianRefusedError(fmt::format("the custodian does not know principal '{}'", p.id));
    }
    const vault::Principal& k = known->second;
    if (k.type != p.type || k.entity != p.entity || k.location != p.location) {
      return CustodianRefusedError(fmt::format(
          "principal '{}' is not what the custodian knows of it ({} of '{}' located in {})", p.id,
          vault::PrincipalTypeName(k.type), k.entity, k.location));
    }
  }
  const bool sealing =
      why.action == vault::Action::kImport || why.action == vault::Action::kMigrate;
  if (why.action != vault::Action::kRead && why.action != vault::Action::kWrite && !sealing) {
    return CustodianRefusedError(
        fmt::format("the custodian releases keys for reads, writes, imports and migrations, not "
                    "'{}'",
                    vault::ActionName(why.action)));
  }
  // 3. Public records are for anyone the node let read them.
  if (why.action == vault::Action::kRead && why.classification == vault::Classification::kPublic) {
    return absl::OkStatus();
  }
  // 4. Protected data's keys stay with principals inside the jurisdiction.
  if (p.location != kek_jurisdiction) {
    return CustodianRefusedError(
        fmt::format("principal '{}' is located in {}; keys of {} data are released only to "
                    "principals located in {}",
                    p.id, p.location.empty() ? "no jurisdiction" : p.location, kek_jurisdiction,
                    kek_jurisdiction));
  }
  // 6. Import and migration seal inside the node and hand no value to anyone: no grant.
  if (sealing) return absl::OkStatus();
  // 5. A person only under a grant with enough valid approvals.
  if (p.type == vault::PrincipalType::kUser) return CheckGrant(why, kek_jurisdiction);
  return absl::OkStatus();
}

absl::Status Custodian::CheckGrant(const vault::Justification& why,
                                   std::string_view jurisdiction) const {
  const vault::Principal& p = why.principal;
  const vault::GrantFacts* g = why.grant.get();
  if (g == nullptr || !g->known) {
    return CustodianRefusedError(fmt::format(
        "'{}' is a person: their data keys are released only under an approved grant, and the "
        "request names none",
        p.id));
  }
  if (g->requester != p.id) {
    return CustodianRefusedError(
        fmt::format("grant {} was asked for by '{}', not '{}'", g->id, g->requester, p.id));
  }
  if (Revoked(g->id)) return CustodianRefusedError(fmt::format("grant {} was revoked", g->id));
  const int64_t now = clock_->NowUnixSeconds();
  if (now >= g->expires) {
    return CustodianRefusedError(
        fmt::format("grant {} expired at {}", g->id, access::FormatTime(g->expires)));
  }
  vault::Resource resource(why.kind, why.subject, why.key, why.jurisdiction, why.classification,
                           why.site);
  vault::GrantFacts as_active = *g;  // the state is the node's word; the custodian checks the rest
  as_active.state = vault::GrantState::kActive;
  if (!vault::GrantCovers(as_active, p, why.action, resource, now)) {
    return CustodianRefusedError(fmt::format(
        "grant {} ({}, {}, actions of its own) does not cover {} of {} record '{}' of '{}'", g->id,
        g->Scope(), vault::ClassificationName(g->classification), vault::ActionName(why.action),
        vault::ClassificationName(why.classification), why.key, why.subject));
  }
  // The approvals: each verified against the approver's key as the custodian holds it.
  const access::Grant statement = StatementFields(*g);
  const std::string text = access::ApprovalStatement(statement);
  std::vector<std::string> counted;
  std::vector<std::string> refused;
  for (const vault::GrantFacts::SignedApproval& a : g->signed_approvals) {
    auto approver = options_.approvers.find(a.approver);
    if (approver == options_.approvers.end()) {
      refused.push_back(fmt::format("'{}' is not an approver the custodian knows", a.approver));
    } else if (a.approver == g->requester) {
      refused.push_back(fmt::format("'{}' is the requester", a.approver));
    } else if (approver->second.location != jurisdiction) {
      refused.push_back(fmt::format("'{}' is located in {}, not {}", a.approver,
                                    approver->second.location, jurisdiction));
    } else if (std::find(counted.begin(), counted.end(), a.approver) != counted.end()) {
      refused.push_back(fmt::format("'{}' approved twice", a.approver));
    } else if (absl::Status v = VerifyApproval(approver->second, a.signed_note, statement, text);
               !v.ok()) {
      refused.push_back(fmt::format("the signature of '{}' does not verify over this grant ({})",
                                    a.approver, std::string(v.message())));
    } else {
      counted.push_back(a.approver);
    }
  }
  const int needed = g->break_glass ? 1 : options_.quorum;
  if (static_cast<int>(counted.size()) < needed) {
    std::string detail;
    for (const std::string& r : refused) detail += "; " + r;
    return CustodianRefusedError(fmt::format("grant {} has {} valid approval(s) of the {} needed{}",
                                             g->id, counted.size(), needed, detail));
  }
  return absl::OkStatus();
}

absl::Status Custodian::VerifyApproval(const Approver& approver, std::string_view note,
                                       const access::Grant& statement,
                                       std::string_view text) const {
  constexpr size_t kMaxVerified = 100000;
  crypto::Sha256Hasher h;
  for (std::string_view part : {std::string_view(approver.id), std::string_view(text), note}) {
    const uint64_t n = part.size();
    h.Update(ByteView(reinterpret_cast<const uint8_t*>(&n), sizeof n));
    h.Update(AsBytes(part));
  }
  h.Update(ByteView(approver.key.public_key.data(), approver.key.public_key.size()));
  const crypto::Sha256Digest digest = h.Finish();
  std::string fingerprint(digest.begin(), digest.end());
  {
    std::lock_guard lock(verified_mu_);
    if (verified_.contains(fingerprint)) return absl::OkStatus();
  }
  RETURN_IF_ERROR(access::VerifyApproval(note, statement, approver.key));
  std::lock_guard lock(verified_mu_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_.insert(std::move(fingerprint));
  return absl::OkStatus();
}

void Custodian::Unwrap(const vault::Justification& why, const keys::WrappedDataKey& wrapped,
                       UnwrapDone done) {
  absl::Status decision = Check(why, wrapped.kek_id);
  std::string event =
      CustodianEvent(options_.source, clock_->Now(), "unwrap", why, wrapped.kek_id, decision);
  options_.log->Append(std::move(event),
                       [this, decision = std::move(decision), wrapped,
                        done = std::move(done)](absl::StatusOr<uint64_t> index) mutable {
                         if (!index.ok()) return done(NotLogged(index.status()));
                         if (!decision.ok()) return done(std::move(decision));
                         done(keys::UnwrapDataKey(*keys_, wrapped));
                       });
}

bool Custodian::Destroyed(std::string_view kek_id) const {
  std::lock_guard lock(mu_);
  return destroyed_.contains(kek_id);
}

absl::Status Custodian::EnsureKek(std::string_view kek_id) {
  if (Destroyed(kek_id)) {
    return absl::FailedPreconditionError(
        fmt::format("KEK {} was destroyed (shredded) and is never created again", kek_id));
  }
  if (keys_->HasKey(kek_id)) return absl::OkStatus();
  absl::StatusOr<uint64_t> logged = options_.log->AppendAndWait(vault::KeyEvent(
      options_.source, clock_->Now(), vault::KeyOperation::kCreate, kek_id, vault::KeyType::kKek));
  if (!logged.ok()) return NotLogged(logged.status());
  return keys_->CreateKey(kek_id);
}

absl::StatusOr<keys::NewDataKey> Custodian::NewDataKey(const vault::Justification& why,
                                                       std::string_view kek_id) {
  absl::Status decision = Check(why, kek_id);
  absl::StatusOr<uint64_t> logged = options_.log->AppendAndWait(
      CustodianEvent(options_.source, clock_->Now(), "new_data_key", why, kek_id, decision));
  if (!logged.ok()) return NotLogged(logged.status());
  RETURN_IF_ERROR(decision);
  return keys::GenerateDataKey(*keys_, kek_id);
}

absl::Status Custodian::GrantRevoked(std::string_view id) {
  std::lock_guard lock(mu_);
  if (revoked_.contains(id)) return absl::OkStatus();
  RETURN_IF_ERROR(state_->Put(fmt::format("{}{}", kRevokedPrefix, id), "1"));
  revoked_.emplace(id);
  return absl::OkStatus();
}

absl::Status Custodian::DestroyKek(const vault::Justification& why, std::string_view kek_id) {
  // 7. Whose KEK, who asks, and for what.
  absl::Status decision = absl::OkStatus();
  std::string_view kek_site, kek_jurisdiction;
  vault::Classification kek_class;
  if (!ParseKekId(kek_id, kek_site, kek_jurisdiction, kek_class)) {
    decision = CustodianRefusedError(fmt::format("'{}' is not a data KEK", kek_id));
  } else if (why.action != vault::Action::kShred && why.action != vault::Action::kShredForce) {
    decision = CustodianRefusedError(fmt::format("a KEK is destroyed only to shred, not for '{}'",
                                                 vault::ActionName(why.action)));
  } else if (why.site != kek_site || why.jurisdiction != kek_jurisdiction) {
    decision = CustodianRefusedError(fmt::format("the key {} is not a key of {} data at site '{}'",
                                                 kek_id, why.jurisdiction, why.site));
  } else if (why.principal.location != kek_jurisdiction) {
    decision = CustodianRefusedError(fmt::format(
        "principal '{}' is located in {}; keys of {} data are destroyed only for principals "
        "located in {}",
        why.principal.id,
        why.principal.location.empty() ? "no jurisdiction" : why.principal.location,
        kek_jurisdiction, kek_jurisdiction));
  } else if (!options_.principals.empty()) {
    auto known = options_.principals.find(why.principal.id);
    if (known == options_.principals.end() || known->second.type != why.principal.type ||
        known->second.location != why.principal.location ||
        known->second.entity != why.principal.entity) {
      decision = CustodianRefusedError(fmt::format(
          "the custodian does not know principal '{}' as the node describes it", why.principal.id));
    }
  }
  absl::StatusOr<uint64_t> logged = options_.log->AppendAndWait(
      CustodianEvent(options_.source, clock_->Now(), "destroy_kek", why, kek_id, decision));
  if (!logged.ok()) return NotLogged(logged.status());
  RETURN_IF_ERROR(decision);
  {
    std::lock_guard lock(mu_);
    // Remembered first: a crash between the two leaves a KEK that is refused, never one that
    // comes back.
    RETURN_IF_ERROR(state_->Put(fmt::format("{}{}", kDestroyedPrefix, kek_id), "1"));
    destroyed_.emplace(kek_id);
  }
  absl::Status destroyed = keys_->DestroyKey(kek_id);
  if (!destroyed.ok() && !absl::IsNotFound(destroyed)) return destroyed;
  return absl::OkStatus();
}

}  // namespace domicile::custodian
