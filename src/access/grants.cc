#include "access/grants.h"

#include <algorithm>
#include <limits>

#include "access/approval.h"
#include "access/grant_events.h"
#include "crypto/random.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"
#include "util/duration.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/event_log.h"

namespace domicile::access {
namespace {

using vault::Action;
using vault::GrantState;

constexpr std::string_view kKeyPrefix = "grant/";

std::string StoreKey(std::string_view id) { return fmt::format("{}{}", kKeyPrefix, id); }

std::string FormatTtl(std::chrono::seconds ttl) {
  if (ttl.count() % 3600 == 0) return fmt::format("{}h", ttl.count() / 3600);
  if (ttl.count() % 60 == 0) return fmt::format("{}m", ttl.count() / 60);
  return fmt::format("{}s", ttl.count());
}

bool Live(const Grant& g) {
  return g.state == GrantState::kPending || g.state == GrantState::kActive;
}

}  // namespace

Grants::Grants(vault::Vault* vault, std::unique_ptr<store::KvStore> store, GrantsOptions options)
    : vault_(vault), store_(std::move(store)), options_(std::move(options)) {}

Grants::~Grants() { StopExpirer(); }

void Grants::StartExpirer(std::chrono::milliseconds interval) {
  StopExpirer();
  {
    std::lock_guard<std::mutex> lock(expirer_mu_);
    expirer_stop_ = false;
  }
  expirer_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(expirer_mu_);
    while (!expirer_cv_.wait_for(lock, interval, [this] { return expirer_stop_; })) {
      lock.unlock();
      if (absl::Status s = Reload(); !s.ok()) {
        spdlog::warn("grants: cannot reload grants now: {}", s.ToString());
      }
      if (absl::Status s = ExpireDue(); !s.ok()) {
        spdlog::warn("grants: cannot expire grants now: {}", s.ToString());
      }
      lock.lock();
    }
  });
}

void Grants::StopExpirer() {
  {
    std::lock_guard<std::mutex> lock(expirer_mu_);
    expirer_stop_ = true;
  }
  expirer_cv_.notify_all();
  if (expirer_.joinable()) expirer_.join();
}

absl::StatusOr<std::unique_ptr<Grants>> Grants::Open(vault::Vault* vault,
                                                     std::unique_ptr<store::KvStore> store,
                                                     GrantsOptions options) {
  if (options.quorum < 1) {
    return absl::InvalidArgumentError(
        fmt::format("grants: quorum must be at least 1, not {}", options.quorum));
  }
  if (options.max_ttl.count() <= 0 || options.break_glass_max_ttl.count() <= 0) {
    return absl::InvalidArgumentError("grants: TTL limits must be positive");
  }
  std::unique_ptr<Grants> grants(new Grants(vault, std::move(store), std::move(options)));
  RETURN_IF_ERROR(grants->Reload());
  return grants;
}

absl::Status Grants::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  return ReloadLocked();
}

absl::Status Grants::ReloadLocked() {
  absl::Status taken;
  RETURN_IF_ERROR(store_->Scan(kKeyPrefix, [&](std::string_view, std::string_view value) {
    taken = TakeInLocked(value);
    return taken.ok();
  }));
  RETURN_IF_ERROR(taken);
  next_expiry_ = std::numeric_limits<int64_t>::max();
  for (const auto& [id, g] : grants_) {
    if (Live(g)) next_expiry_ = std::min(next_expiry_, g.expires);
  }
  return absl::OkStatus();
}

absl::Status Grants::RefreshLocked(std::string_view id) {
  absl::StatusOr<std::string> value = store_->Get(StoreKey(id));
  if (absl::IsNotFound(value.status())) return absl::OkStatus();
  RETURN_IF_ERROR(value.status());
  RETURN_IF_ERROR(TakeInLocked(*value));
  auto it = grants_.find(id);
  if (it != grants_.end() && Live(it->second)) {
    next_expiry_ = std::min(next_expiry_, it->second.expires);
  }
  return absl::OkStatus();
}

absl::Status Grants::TakeInLocked(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  absl::StatusOr<Grant> g =
      j.is_discarded() ? absl::StatusOr<Grant>(absl::DataLossError("not JSON")) : GrantFromJson(j);
  if (!g.ok()) {
    return absl::DataLossError(
        fmt::format("grants: a stored grant is unreadable: {}", std::string(g.status().message())));
  }
  auto seen = stored_.find(g->id);
  if (seen != stored_.end() && seen->second == json) return absl::OkStatus();
  auto held = grants_.find(g->id);
  // Data keys may be cached under it here (its facts read through before it ended elsewhere).
  const bool ended_elsewhere = !Live(*g) && (held == grants_.end() || Live(held->second));
  std::shared_ptr<const vault::GrantFacts> facts = g->Facts();
  {
    std::unique_lock<std::shared_mutex> lock(facts_mu_);
    facts_[g->id] = std::move(facts);
  }
  stored_[g->id] = std::string(json);
  const std::string id = g->id;
  grants_[id] = *std::move(g);
  if (ended_elsewhere) vault_->GrantExpired(id);  // drops the data keys cached under it
  return absl::OkStatus();
}

vault::Resource Grants::ResourceOf(const Grant& g) {
  return vault::Resource(vault::Resource::Kind::kGrant,
                         g.scope_kind == "subject" ? std::string_view(g.scope_value) : "", "",
                         g.jurisdiction, g.classification, "", g.id, g.requester);
}

absl::StatusOr<uint64_t> Grants::LogStep(std::string_view step, const Grant& grant,
                                         const vault::Principal* actor, std::string_view detail) {
  return vault_->LogEvent(
      GrantEvent(vault_->event_source(), vault_->clock()->Now(), step, grant, actor, detail));
}

absl::Status Grants::Save(const Grant& grant) {
  const std::string key = StoreKey(grant.id);
  std::string json = GrantToJson(grant).dump();
  store::WriteBatch batch;
  if (auto seen = stored_.find(grant.id); seen != stored_.end()) {
    batch.Expect(key, seen->second);
  } else {
    batch.ExpectAbsent(key);
  }
  batch.Put(key, json);
  if (absl::Status written = store_->Write(batch); !written.ok()) {
    if (!absl::IsAborted(written)) return written;
    RETURN_IF_ERROR(RefreshLocked(grant.id));
    return ConflictError(fmt::format(
        "grant {} was changed at another node meanwhile; nothing was saved, retry", grant.id));
  }
  stored_[grant.id] = std::move(json);
  grants_[grant.id] = grant;
  if (Live(grant)) next_expiry_ = std::min(next_expiry_, grant.expires);
  std::shared_ptr<const vault::GrantFacts> facts = grant.Facts();
  std::unique_lock<std::shared_mutex> lock(facts_mu_);
  facts_[grant.id] = std::move(facts);
  return absl::OkStatus();
}

absl::Status Grants::ExpireDue() {
  std::lock_guard<std::mutex> lock(mu_);
  return ExpireDueLocked();
}

absl::Status Grants::ExpireDueLocked() {
  const int64_t now = vault_->clock()->NowUnixSeconds();
  if (now < next_expiry_) return absl::OkStatus();
  int64_t next = std::numeric_limits<int64_t>::max();
  for (auto& [id, stored] : grants_) {
    if (!Live(stored)) continue;
    if (now < stored.expires) {
      next = std::min(next, stored.expires);
      continue;
    }
    Grant g = stored;
    g.state = GrantState::kExpired;
    g.ended = now;
    RETURN_IF_ERROR(LogStep("expire", g, nullptr).status());
    if (absl::Status saved = Save(g); !saved.ok()) {
      // Another node sharing the store changed it (perhaps expired it too): reloaded by Save.
      if (ErrorCodeOf(saved) != error_code::kConflict) return saved;
      continue;
    }
    vault_->GrantExpired(g.id);
  }
  next_expiry_ = next;
  return absl::OkStatus();
}

absl::StatusOr<GrantResult> Grants::Request(const vault::Caller& caller,
                                            const GrantRequest& request) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  Grant g;
  RETURN_IF_ERROR(ParseScope(request.scope, g.scope_kind, g.scope_value));
  std::optional<vault::Classification> c = vault::ParseClassification(request.classification);
  if (!c.has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("class must be 'public' or 'protected', not '{}'", request.classification));
  }
  g.classification = *c;
  if (request.actions.empty()) return absl::InvalidArgumentError("actions must not be empty");
  for (const std::string& name : request.actions) {
    std::optional<Action> a = vault::ParseAction(name);
    if (!a.has_value() || !GrantableAction(*a)) {
      return absl::InvalidArgumentError(
          fmt::format("action '{}' cannot be granted (grantable: read, list)", name));
    }
    if (std::find(g.actions.begin(), g.actions.end(), *a) == g.actions.end())
      g.actions.push_back(*a);
  }
  std::sort(g.actions.begin(), g.actions.end(),
            [](Action a, Action b) { return vault::ActionName(a) < vault::ActionName(b); });
  RETURN_IF_ERROR(ValidateText("purpose", request.purpose, kMaxPurposeBytes));
  RETURN_IF_ERROR(ValidateText("reason", request.reason, kMaxReasonBytes));
  absl::StatusOr<std::chrono::milliseconds> ttl = ParseDuration(request.ttl);
  if (!ttl.ok())
    return absl::InvalidArgumentError(fmt::format("ttl: {}", std::string(ttl.status().message())));
  const std::chrono::seconds limit =
      request.break_glass ? options_.break_glass_max_ttl : options_.max_ttl;
  if (*ttl < std::chrono::seconds(1) || *ttl > limit) {
    return absl::InvalidArgumentError(
        fmt::format("ttl '{}' must be between 1s and {}{}", request.ttl, FormatTtl(limit),
                    request.break_glass ? " for a break-glass grant" : ""));
  }
  if (g.scope_kind == "subject") {
    absl::StatusOr<std::string> home = vault_->SubjectJurisdiction(g.scope_value);
    if (absl::IsNotFound(home.status())) {
      return absl::NotFoundError(fmt::format("subject '{}' is not registered", g.scope_value));
    }
    RETURN_IF_ERROR(home.status());
    g.jurisdiction = *home;
  } else {
    g.jurisdiction = g.scope_value;
  }
  ASSIGN_OR_RETURN(Bytes random, crypto::RandomBytes(8));
  g.id = "g-" + HexEncode(random);
  g.requester = caller.principal->id;
  g.requester_team = caller.principal->team;
  g.purpose = request.purpose;
  g.reason = request.reason;
  g.break_glass = request.break_glass;
  g.created = vault_->clock()->NowUnixSeconds();
  g.expires = g.created + std::chrono::duration_cast<std::chrono::seconds>(*ttl).count();

  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(ExpireDueLocked());
  ASSIGN_OR_RETURN(uint64_t decided, vault_->Authorize(caller, Action::kRequest, ResourceOf(g)));
  absl::StatusOr<uint64_t> index = LogStep("request", g, caller.principal);
  if (!index.ok()) return vault::WithLogIndex(index.status(), decided);
  if (absl::Status saved = Save(g); !saved.ok()) return vault::WithLogIndex(saved, *index);
  return GrantResult{g, *index};
}

absl::Status Grants::RefuseApproval(const vault::Caller& caller, const Grant& grant,
                                    absl::Status refusal) {
  absl::StatusOr<uint64_t> index =
      LogStep("approval_refused", grant, caller.principal, std::string(refusal.message()));
  if (!index.ok()) return index.status();
  return vault::WithLogIndex(std::move(refusal), *index);
}

absl::StatusOr<GrantResult> Grants::Approve(const vault::Caller& caller, std::string_view id,
                                            std::string_view signed_note) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  const vault::Principal& approver = *caller.principal;
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(RefreshLocked(id));  // approvals or a revocation made at another node
  RETURN_IF_ERROR(ExpireDueLocked());
  auto it = grants_.find(id);
  if (it == grants_.end()) return absl::NotFoundError(fmt::format("no grant '{}'", id));
  Grant g = it->second;
  const bool review = g.state == GrantState::kActive && g.break_glass && !g.reviewed;
  if (g.state != GrantState::kPending && !review) {
    return RefuseApproval(
        caller, g,
        absl::FailedPreconditionError(fmt::format(
            "grant {} is {}: only a pending grant (or an unreviewed break-glass grant) can be "
            "approved",
            g.id, vault::GrantStateName(g.state))));
  }
  if (approver.id == g.requester) {
    return RefuseApproval(
        caller, g,
        DeniedError(fmt::format("{} requested grant {} and cannot approve it", approver.id, g.id)));
  }
  if (!g.requester_team.empty() && approver.team == g.requester_team) {
    return RefuseApproval(
        caller, g,
        DeniedError(fmt::format("{} is on the requester's team ({}) and cannot approve grant {}",
                                approver.id, g.requester_team, g.id)));
  }
  if (g.ApprovedBy(approver.id)) {
    return RefuseApproval(
        caller, g,
        ConflictError(fmt::format("{} has already approved grant {}", approver.id, g.id)));
  }
  ASSIGN_OR_RETURN(uint64_t decided, vault_->Authorize(caller, Action::kApprove, ResourceOf(g)));
  auto key = options_.approval_keys.find(approver.id);
  if (key == options_.approval_keys.end()) {
    absl::Status refused = RefuseApproval(
        caller, g,
        DeniedError(fmt::format("{} has no approval_key in the configuration", approver.id)));
    return refused;
  }
  if (absl::Status verified = VerifyApproval(signed_note, g, key->second); !verified.ok()) {
    return RefuseApproval(caller, g,
                          absl::IsInvalidArgument(verified)
                              ? verified
                              : DeniedError(fmt::format("approval of grant {} refused: {}", g.id,
                                                        std::string(verified.message()))));
  }
  (void)decided;
  const int64_t now = vault_->clock()->NowUnixSeconds();
  g.approvals.push_back({approver.id, now, std::string(signed_note)});
  const int count = static_cast<int>(g.approvals.size());
  ASSIGN_OR_RETURN(uint64_t index, LogStep("approval", g, &approver));
  if (g.state == GrantState::kPending && (g.break_glass || count >= options_.quorum)) {
    g.state = GrantState::kActive;
    g.activated = now;
    if (g.break_glass && count >= options_.quorum) g.reviewed = true;
    ASSIGN_OR_RETURN(index, LogStep("activate", g, &approver));
  } else if (review && count >= options_.quorum) {
    g.reviewed = true;
    ASSIGN_OR_RETURN(index, LogStep("review", g, &approver));
  }
  if (absl::Status saved = Save(g); !saved.ok()) return vault::WithLogIndex(saved, index);
  return GrantResult{g, index};
}

absl::StatusOr<GrantResult> Grants::Revoke(const vault::Caller& caller, std::string_view id) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(RefreshLocked(id));  // approvals or a revocation made at another node
  RETURN_IF_ERROR(ExpireDueLocked());
  auto it = grants_.find(id);
  if (it == grants_.end()) return absl::NotFoundError(fmt::format("no grant '{}'", id));
  Grant g = it->second;
  ASSIGN_OR_RETURN(uint64_t decided, vault_->Authorize(caller, Action::kRevoke, ResourceOf(g)));
  if (!Live(g)) {
    return vault::WithLogIndex(absl::FailedPreconditionError(fmt::format(
                                   "grant {} is already {}", g.id, vault::GrantStateName(g.state))),
                               decided);
  }
  g.state = GrantState::kRevoked;
  g.ended = vault_->clock()->NowUnixSeconds();
  g.revoked_by = caller.principal->id;
  ASSIGN_OR_RETURN(uint64_t index, LogStep("revoke", g, caller.principal));
  if (absl::Status saved = Save(g); !saved.ok()) return vault::WithLogIndex(saved, index);
  // The node refuses the grant from now on whatever happens next; the custodian is told too, so
  // that it refuses it even to a node that would not. A custodian out of reach learns nothing
  // now, but the grant still ends at its expiry, which its approvals' signatures fix.
  if (absl::Status told = vault_->GrantRevoked(g.id); !told.ok()) {
    spdlog::warn("grant {} revoked, but the custodian was not told: {}", g.id, told.ToString());
  }
  return GrantResult{g, index};
}

absl::StatusOr<Grant> Grants::Get(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(RefreshLocked(id));  // approvals or a revocation made at another node
  RETURN_IF_ERROR(ExpireDueLocked());
  auto it = grants_.find(id);
  if (it == grants_.end()) return absl::NotFoundError(fmt::format("no grant '{}'", id));
  return it->second;
}

std::vector<Grant> Grants::List() {
  std::lock_guard<std::mutex> lock(mu_);
  (void)ExpireDueLocked();  // a failure leaves states as they were; Get reports it
  std::vector<Grant> out;
  for (const auto& [id, g] : grants_) out.push_back(g);
  std::sort(out.begin(), out.end(), [](const Grant& a, const Grant& b) {
    return a.created != b.created ? a.created > b.created : a.id < b.id;
  });
  return out;
}

std::shared_ptr<const vault::GrantFacts> Grants::Facts(std::string_view id) const {
  {
    std::shared_lock<std::shared_mutex> lock(facts_mu_);
    auto it = facts_.find(id);
    if (it != facts_.end()) return it->second;
  }
  // Not known here: perhaps made at another node sharing the store since the last reload.
  if (absl::StatusOr<std::string> value = store_->Get(StoreKey(id)); value.ok()) {
    const nlohmann::json j = nlohmann::json::parse(*value, nullptr, false);
    if (absl::StatusOr<Grant> g =
            j.is_discarded() ? absl::StatusOr<Grant>(absl::DataLossError("")) : GrantFromJson(j);
        g.ok() && g->id == id) {
      std::shared_ptr<const vault::GrantFacts> facts = g->Facts();
      std::unique_lock<std::shared_mutex> lock(facts_mu_);
      return facts_.try_emplace(g->id, std::move(facts)).first->second;
    }
  }
  auto unknown = std::make_shared<vault::GrantFacts>();
  unknown->id = std::string(id);
  return unknown;
}

}  // namespace domicile::access
