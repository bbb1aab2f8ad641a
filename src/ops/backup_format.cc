#include "ops/backup_format.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <set>

#include "crypto/random.h"
#include "fmt/format.h"
#include "keys/envelope.h"
#include "nlohmann/json.hpp"
#include "util/encoding.h"
#include "util/status_macros.h"
#include "vault/events.h"
#include "vault/names.h"
#include "vault/site_store.h"

namespace domicile::ops {
namespace {

using nlohmann::json;

constexpr size_t kMaxBackupIdSize = 128;
constexpr size_t kSha256HexSize = 64;

absl::Status FieldError(std::string_view field, std::string_view problem) {
  return absl::DataLossError(fmt::format("backup manifest: field \"{}\" {}", field, problem));
}

bool IsLowerHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// "dddd-dd-ddTdd:dd:ddZ", the form FormatBackupTime writes.
bool IsBackupTime(std::string_view s) {
  static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kPattern.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool ok = kPattern[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == kPattern[i];
    if (!ok) return false;
  }
  return true;
}

// Member `name` of `object`; errors call it `label` (the path from the manifest's top).
absl::StatusOr<const json*> Field(const json& object, std::string_view name,
                                  std::string_view label) {
  auto it = object.find(std::string(name));
  if (it == object.end()) return FieldError(label, "is missing");
  return &*it;
}

absl::StatusOr<std::string> StringField(const json& object, std::string_view name,
                                        std::string_view label) {
  ASSIGN_OR_RETURN(const json* value, Field(object, name, label));
  if (!value->is_string()) return FieldError(label, "must be a string");
  return value->get<std::string>();
}
absl::StatusOr<std::string> StringField(const json& object, std::string_view name) {
  return StringField(object, name, name);
}

absl::StatusOr<uint64_t> CountField(const json& object, std::string_view name,
                                    std::string_view label) {
  ASSIGN_OR_RETURN(const json* value, Field(object, name, label));
  if (!value->is_number_unsigned()) return FieldError(label, "must be a non-negative integer");
  return value->get<uint64_t>();
}
absl::StatusOr<uint64_t> CountField(const json& object, std::string_view name) {
  return CountField(object, name, name);
}

// Refuses members of `object` not in `known`.
absl::Status CheckNoUnknownFields(const json& object, std::string_view where,
                                  std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : object.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::DataLossError(
          fmt::format("backup manifest: unknown field \"{}\" in {}", name, where));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BackupChunk> ParseChunk(const json& j, uint32_t index) {
  const std::string where = fmt::format("chunks[{}]", index);
  if (!j.is_object()) return FieldError(where, "must be an object");
  RETURN_IF_ERROR(CheckNoUnknownFields(j, where, {"name", "entries", "bytes", "sha256"}));
  BackupChunk chunk;
  ASSIGN_OR_RETURN(chunk.name, StringField(j, "name", where + ".name"));
  ASSIGN_OR_RETURN(chunk.entries, CountField(j, "entries", where + ".entries"));
  ASSIGN_OR_RETURN(chunk.bytes, CountField(j, "bytes", where + ".bytes"));
  ASSIGN_OR_RETURN(chunk.sha256, StringField(j, "sha256", where + ".sha256"));
  if (chunk.name != ChunkName(index)) {
    return FieldError(where + ".name", fmt::format("must be \"{}\"", ChunkName(index)));
  }
  if (chunk.entries == 0) return FieldError(where + ".entries", "must not be 0");
  if (!IsLowerHex(chunk.sha256, kSha256HexSize)) {
    return FieldError(where + ".sha256", "must be 64 lower-case hex digits");
  }
  return chunk;
}

absl::StatusOr<BackupManifest> ParseManifestObject(const json& j) {
  if (!j.is_object()) return absl::DataLossError("backup manifest: not a JSON object");
  RETURN_IF_ERROR(CheckNoUnknownFields(
      j, "the manifest",
      {"format", "id", "site", "site_jurisdiction", "jurisdictions", "created", "records",
       "data_keys", "entries", "bytes", "root", "chunks", "checkpoint"}));
  BackupManifest m;
  ASSIGN_OR_RETURN(uint64_t format, CountField(j, "format"));
  if (format != kBackupFormat) {
    return FieldError("format",
                      fmt::format("is {}; this version reads format {}", format, kBackupFormat));
  }
  ASSIGN_OR_RETURN(m.id, StringField(j, "id"));
  if (absl::Status s = ValidateBackupId(m.id); !s.ok()) {
    return FieldError("id", std::string(s.message()));
  }
  ASSIGN_OR_RETURN(m.site, StringField(j, "site"));
  if (absl::Status s = vault::ValidateId("site", m.site); !s.ok()) {
    return FieldError("site", std::string(s.message()));
  }
  ASSIGN_OR_RETURN(m.site_jurisdiction, StringField(j, "site_jurisdiction"));
  if (!vault::ValidateJurisdiction(m.site_jurisdiction).ok()) {
    return FieldError("site_jurisdiction", "must be an ISO 3166-1 alpha-2 code");
  }
  ASSIGN_OR_RETURN(const json* jurisdictions, Field(j, "jurisdictions", "jurisdictions"));
  if (!jurisdictions->is_array()) return FieldError("jurisdictions", "must be an array");
  std::set<std::string> seen;
  for (const json& code : *jurisdictions) {
    if (!code.is_string() || !vault::ValidateJurisdiction(code.get<std::string>()).ok()) {
      return FieldError("jurisdictions", "must hold ISO 3166-1 alpha-2 codes");
    }
    if (!seen.insert(code.get<std::string>()).second) {
      return FieldError("jurisdictions", fmt::format("repeats {}", code.get<std::string>()));
    }
    m.jurisdictions.push_back(code.get<std::string>());
  }
  ASSIGN_OR_RETURN(m.created, StringField(j, "created"));
  if (!IsBackupTime(m.created)) return FieldError("created", "must be yyyy-mm-ddThh:mm:ssZ");
  ASSIGN_OR_RETURN(m.records, CountField(j, "records"));
  ASSIGN_OR_RETURN(m.data_keys, CountField(j, "data_keys"));
  ASSIGN_OR_RETURN(m.entries, CountField(j, "entries"));
  ASSIGN_OR_RETURN(m.bytes, CountField(j, "bytes"));
  ASSIGN_OR_RETURN(m.root, StringField(j, "root"));
  if (!IsLowerHex(m.root, kSha256HexSize)) {
    return FieldError("root", "must be 64 lower-case hex digits");
  }
  ASSIGN_OR_RETURN(const json* chunks, Field(j, "chunks", "chunks"));
  if (!chunks->is_array()) return FieldError("chunks", "must be an array");
  uint64_t chunk_entries = 0, chunk_bytes = 0;
  for (size_t i = 0; i < chunks->size(); ++i) {
    ASSIGN_OR_RETURN(BackupChunk chunk, ParseChunk((*chunks)[i], static_cast<uint32_t>(i)));
    chunk_entries += chunk.entries;
    chunk_bytes += chunk.bytes;
    m.chunks.push_back(std::move(chunk));
  }
  ASSIGN_OR_RETURN(m.checkpoint, StringField(j, "checkpoint"));
  if (m.records + m.data_keys != m.entries) {
    return FieldError("entries", "is not records + data_keys");
  }
  if (chunk_entries != m.entries) return FieldError("entries", "is not the chunks' sum");
  if (chunk_bytes != m.bytes) return FieldError("bytes", "is not the chunks' sum");
  return m;
}

}  // namespace

bool IsBackupKey(std::string_view key) {
  for (std::string_view prefix : kBackupPrefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

absl::StatusOr<BackupEntryKey> ParseBackupKey(std::string_view key) {
  BackupEntryKey parsed;
  std::string_view record_key;
  if (vault::ParseRecordStoreKey(key, parsed.subject, record_key)) {
    parsed.is_record = true;
    RETURN_IF_ERROR(vault::ValidateRecordKey(record_key));
  } else if (!vault::ParseDataKeyStoreKey(key, parsed.subject)) {
    return absl::DataLossError("key is not a record or data key under k/, kp/ and r/");
  }
  RETURN_IF_ERROR(vault::ValidateSubjectId(parsed.subject));
  return parsed;
}

absl::StatusOr<BackupEntryKey> CheckBackupEntry(std::string_view key, std::string_view value) {
  ASSIGN_OR_RETURN(BackupEntryKey parsed, ParseBackupKey(key));
  if (parsed.is_record) {
    absl::StatusOr<vault::StoredRecord> record = vault::DecodeStoredRecord(value);
    if (!record.ok() || record->envelope.empty()) {
      return absl::DataLossError("malformed record value");
    }
  } else if (absl::StatusOr<keys::WrappedDataKey> k = keys::DecodeWrappedDataKey(AsBytes(value));
             !k.ok()) {
    return absl::DataLossError(
        fmt::format("malformed wrapped data key: {}", std::string(k.status().message())));
  }
  return parsed;
}

char* EncodeBackupEntry(char* out, std::string_view key, std::string_view value) {
  auto put_u32 = [&out](size_t n) {
    const auto v = static_cast<uint32_t>(n);
    out[0] = static_cast<char>(v >> 24);
    out[1] = static_cast<char>(v >> 16);
    out[2] = static_cast<char>(v >> 8);
    out[3] = static_cast<char>(v);
    out += 4;
  };
  put_u32(key.size());
  std::memcpy(out, key.data(), key.size());
  out += key.size();
  put_u32(value.size());
  std::memcpy(out, value.data(), value.size());
  return out + value.size();
}

void AppendBackupEntry(std::string& out, std::string_view key, std::string_view value) {
  const size_t start = out.size();
  out.resize(start + BackupEntrySize(key, value));
  EncodeBackupEntry(out.data() + start, key, value);
}

absl::StatusOr<bool> ChunkReader::Next(Entry& entry) {
  if (rest_.empty()) return false;
  const std::string_view start = rest_;
  auto read_field = [this](std::string_view& field) {
    if (rest_.size() < 4) return false;
    const uint32_t n = ReadU32(reinterpret_cast<const uint8_t*>(rest_.data()));
    if (rest_.size() - 4 < n) return false;
    field = rest_.substr(4, n);
    rest_.remove_prefix(4 + size_t{n});
    return true;
  };
  if (!read_field(entry.key) || !read_field(entry.value)) {
    return absl::DataLossError("chunk ends inside an entry");
  }
  entry.encoded = start.substr(0, start.size() - rest_.size());
  return true;
}

std::string EncodeManifest(const BackupManifest& m) {
  json chunks = json::array();
  for (const BackupChunk& c : m.chunks) {
    chunks.push_back(
        {{"name", c.name}, {"entries", c.entries}, {"bytes", c.bytes}, {"sha256", c.sha256}});
  }
  const json j = {{"format", m.format},
                  {"id", m.id},
                  {"site", m.site},
                  {"site_jurisdiction", m.site_jurisdiction},
                  {"jurisdictions", m.jurisdictions},
                  {"created", m.created},
                  {"records", m.records},
                  {"data_keys", m.data_keys},
                  {"entries", m.entries},
                  {"bytes", m.bytes},
                  {"root", m.root},
                  {"chunks", std::move(chunks)},
                  {"checkpoint", m.checkpoint}};
  return vault::CanonicalJson(j);
}

absl::StatusOr<BackupManifest> ParseManifest(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::DataLossError("backup manifest: not valid JSON");
  return ParseManifestObject(j);
}

std::string ChunkName(uint32_t index) { return fmt::format("chunk-{:05d}", index); }

absl::StatusOr<std::string> MakeBackupId(std::string_view site,
                                         std::chrono::system_clock::time_point time) {
  RETURN_IF_ERROR(vault::ValidateId("site", site));
  ASSIGN_OR_RETURN(Bytes random, crypto::RandomBytes(4));
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{}-{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}Z-{}", site, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     HexEncode(random));
}

absl::Status ValidateBackupId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxBackupIdSize && id != "." && id != "..";
  for (char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    ok = ok && allowed;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "a backup id must be 1..128 characters of [A-Za-z0-9._-], not \".\" or \"..\"");
  }
  return absl::OkStatus();
}

std::string FormatBackupTime(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace domicile::ops
