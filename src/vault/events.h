// Events: the entries of the transparency log, built here from the vault's own vocabulary
// (principal, action, resource, decision) as canonical JSON, schema version 1, exactly as
// docs/events.md describes. Nothing here ever takes a record's value or a secret.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "vault/decider.h"
#include "vault/principal.h"

namespace domicile::vault {

inline constexpr int kEventSchemaVersion = 1;

// The canonical form of `value`: keys sorted by their bytes, no insignificant whitespace,
// UTF-8 (invalid sequences replaced by U+FFFD).
std::string CanonicalJson(const nlohmann::json& value);

// "2026-11-22T10:00:00.123Z".
std::string FormatEventTime(std::chrono::system_clock::time_point time);

// What every event of one node shares.
struct EventSource {
  std::string node;  // the node's name
};

// The fields common to all events: v, kind, time, node.
nlohmann::json EventBase(const EventSource& source, std::string_view kind,
                         std::chrono::system_clock::time_point time);

nlohmann::json PrincipalJson(const Principal& principal);

// An access decision. `effect` (an object, or null) is added to allowed writes and deletes.
std::string AccessEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                        const Principal& principal, Action action, const Resource& resource,
                        const RequestContext& context, const Decision& decision,
                        const nlohmann::json& effect = nullptr);

std::string PolicyEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                        const Principal& principal, std::string_view old_sha256,
                        std::string_view new_sha256, size_t policies);

enum class KeyOperation { kCreate, kDestroy };
enum class KeyType { kKek, kSigning };
std::string KeyEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                     KeyOperation operation, std::string_view key_id, KeyType type);

// A lifecycle operation's record (kind "import", "migration", "shred", "backup", "restore"):
// the common fields, the principal who ran it, and `details` (an object) merged in.
std::string LifecycleEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                           std::string_view kind, const Principal& principal,
                           const nlohmann::json& details);

struct NodeStart {
  std::string version;
  std::string config_sha256;
  std::string policy_sha256;
  uint64_t log_size = 0;
};
std::string NodeStartEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                           const NodeStart& start);
std::string NodeStopEvent(const EventSource& source, std::chrono::system_clock::time_point time);

}  // namespace domicile::vault
