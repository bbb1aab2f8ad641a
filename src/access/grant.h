// Grant: a just-in-time permission. A principal asks for it (scope, class, actions, purpose,
// reason, time to live); approvers sign it; it becomes active at quorum (or at once with one
// approval when it is a break-glass grant) and ends at its expiry or when revoked. Nothing else
// gives a person access to protected data (docs/access.md).
//
// This file holds the value type, its validation and its JSON form (stored, and served by the
// API); grants.h holds the service that moves grants through their states.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "vault/classification.h"
#include "vault/decider.h"
#include "vault/grant_facts.h"

namespace domicile::access {

// Limits on what a request may carry.
inline constexpr size_t kMaxPurposeBytes = 256;
inline constexpr size_t kMaxReasonBytes = 1024;

struct Approval {
  std::string approver;     // principal id
  int64_t time = 0;         // unix seconds
  std::string signed_note;  // the approver's signed statement (approval.h), kept for checking
};

struct Grant {
  std::string id;  // "g-" and 16 lowercase hex digits
  std::string requester;
  std::string requester_team;
  std::string scope_kind;    // "subject" or "jurisdiction"
  std::string scope_value;   // subject id or jurisdiction code
  std::string jurisdiction;  // whose data: the subject's home, or the scope's jurisdiction
  vault::Classification classification = vault::Classification::kProtected;
  std::vector<vault::Action> actions;  // sorted by name, no duplicates
  std::string purpose;
  std::string reason;
  int64_t created = 0;  // unix seconds
  int64_t expires = 0;  // unix seconds
  vault::GrantState state = vault::GrantState::kPending;
  bool break_glass = false;
  bool reviewed = false;  // break-glass: a full quorum approved it afterwards
  std::vector<Approval> approvals;
  int64_t activated = 0;   // unix seconds, 0 if never
  int64_t ended = 0;       // when it expired or was revoked, 0 if not
  std::string revoked_by;  // principal id

  std::string Scope() const { return scope_kind + ":" + scope_value; }
  bool ApprovedBy(std::string_view principal) const;
  // The facts a decision sees (vault/grant_facts.h).
  std::shared_ptr<const vault::GrantFacts> Facts() const;
};

// What a principal asks for; strings as received.
struct GrantRequest {
  std::string scope;  // "subject:u1" or "jurisdiction:US"
  std::string classification = "protected";
  std::vector<std::string> actions;
  std::string purpose;
  std::string reason;
  std::string ttl;  // "30m", "1h", ...
  bool break_glass = false;
};

// The actions a grant may carry: read and list.
bool GrantableAction(vault::Action action);

// Splits "subject:u1" / "jurisdiction:US" and checks the id or code. InvalidArgument otherwise.
absl::Status ParseScope(std::string_view scope, std::string& kind, std::string& value);

// Checks purpose or reason text: non-empty, printable ASCII, at most `max` bytes.
absl::Status ValidateText(std::string_view what, std::string_view text, size_t max);

// Parses a request body: {"scope","class","actions","purpose","reason","ttl","break_glass"}.
// InvalidArgument naming the field for anything missing, mistyped or unknown.
absl::StatusOr<GrantRequest> ParseGrantRequest(std::string_view body);

// The JSON form (API and storage) and back. FromJson: InvalidArgument/DataLoss on a bad form.
nlohmann::json GrantToJson(const Grant& grant);
absl::StatusOr<Grant> GrantFromJson(const nlohmann::json& json);

std::string FormatTime(int64_t unix_seconds);  // "2026-11-22T10:00:00Z"

}  // namespace domicile::access
