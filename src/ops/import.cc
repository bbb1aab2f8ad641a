#include "ops/import.h"

#include <map>
#include <mutex>
#include <optional>

#include "absl/strings/numbers.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ops/site_keys.h"
#include "ops/sites.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/names.h"

namespace domicile::ops {
namespace {

constexpr size_t kMaxImportIdSize = 64;
constexpr size_t kMaxReportedErrors = 100;

absl::Status ValidateImportId(std::string_view id) {
  if (id.empty() || id.size() > kMaxImportIdSize || !std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      })) {
    return absl::InvalidArgumentError(fmt::format(
        "import id must be lowercase letters, digits and '-', at most {} bytes", kMaxImportIdSize));
  }
  return absl::OkStatus();
}

std::string ProgressKey(std::string_view import_id) { return fmt::format("imp/{}", import_id); }

// One good line.
struct Line {
  uint64_t number = 0;
  std::string subject, key;
  vault::Classification classification = vault::Classification::kProtected;
  Bytes value;
};

// Parses one line; the error says what is wrong with it.
absl::StatusOr<Line> ParseLine(std::string_view text, size_t max_value_bytes) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        "not a JSON object {\"subject\",\"key\",\"class\",\"value_b64\"}");
  }
  for (const auto& [name, value] : j.items()) {
    if (name != "subject" && name != "key" && name != "class" && name != "value_b64") {
      return absl::InvalidArgumentError(fmt::format("unknown field '{}'", name));
    }
    if (!value.is_string()) {
      return absl::InvalidArgumentError(fmt::format("field '{}' must be a string", name));
    }
  }
  for (const char* field : {"subject", "key", "class", "value_b64"}) {
    if (!j.contains(field)) {
      return absl::InvalidArgumentError(fmt::format("field '{}' is missing", field));
    }
  }
  Line line;
  line.subject = j["subject"].get<std::string>();
  line.key = j["key"].get<std::string>();
  RETURN_IF_ERROR(vault::ValidateSubjectId(line.subject));
  RETURN_IF_ERROR(vault::ValidateRecordKey(line.key));
  const std::string cls = j["class"].get<std::string>();
  std::optional<vault::Classification> c = vault::ParseClassification(cls);
  if (!c.has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("class must be \"public\" or \"protected\", not \"{}\"", cls));
  }
  line.classification = *c;
  std::optional<Bytes> value = Base64Decode(j["value_b64"].get<std::string>());
  if (!value.has_value()) return absl::InvalidArgumentError("value_b64 is not valid base64");
  if (value->size() > max_value_bytes) {
    return absl::InvalidArgumentError(
        fmt::format("value is {} bytes; the limit is {}", value->size(), max_value_bytes));
  }
  line.value = std::move(*value);
  return line;
}

absl::StatusOr<uint64_t> ReadProgress(vault::SiteStore& site, std::string_view import_id) {
  absl::StatusOr<std::string> raw = site.kv().Get(ProgressKey(import_id));
  if (absl::IsNotFound(raw.status())) return 1;
  RETURN_IF_ERROR(raw.status());
  uint64_t next = 0;
  if (!absl::SimpleAtoi(ToAbsl(*raw), &next) || next == 0) {
    return absl::DataLossError(fmt::format("progress of import '{}' is malformed", import_id));
  }
  return next;
}

std::string ErrorList(const std::vector<LineError>& errors) {
  std::string out;
  for (const LineError& e : errors) {
    if (!out.empty()) out += "; ";
    out += fmt::format("line {}: {}", e.line, e.message);
  }
  return out;
}

}  // namespace

absl::StatusOr<uint64_t> ImportProgress(vault::Vault& vault, std::string_view site,
                                        std::string_view import_id) {
  RETURN_IF_ERROR(ValidateImportId(import_id));
  ASSIGN_OR_RETURN(vault::SiteStore * s, SiteNamed(vault, site));
  return ReadProgress(*s, import_id);
}

absl::StatusOr<ImportResult> Import(vault::Vault& vault, const vault::Caller& caller,
                                    const ImportRequest& request) {
  RETURN_IF_ERROR(ValidateImportId(request.import_id));
  RETURN_IF_ERROR(vault::ValidateJurisdiction(request.jurisdiction));
  if (request.first_line == 0) return absl::InvalidArgumentError("first_line starts at 1");
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  ASSIGN_OR_RETURN(vault::SiteStore * site, SiteNamed(vault, request.site));
  const vault::Resource resource = SiteResource(site->site(), request.jurisdiction);
  const vault::Decision d = vault.Decide(caller, vault::Action::kImport, resource);
  if (!d.allow) return vault.LogDecision(caller, vault::Action::kImport, resource, d).status();
  if (absl::Status where = MayHoldLiveData(vault, site->site(), request.jurisdiction);
      !where.ok()) {
    return LogRefusal(vault, caller, vault::Action::kImport, resource, d, where,
                      std::string(error_code::kResidencyViolation));
  }

  // Parse every line first: a bad one refuses the batch before anything is decided on keys.
  ImportResult result;
  std::vector<Line> lines;
  uint64_t number = request.first_line;
  std::string_view body = request.body;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    std::string_view text = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    const uint64_t this_line = number++;
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank
    absl::StatusOr<Line> line = ParseLine(text, vault.max_value_bytes());
    if (!line.ok()) {
      if (result.errors.size() < kMaxReportedErrors) {
        result.errors.push_back({this_line, std::string(line.status().message())});
      }
      ++result.skipped;
      continue;
    }
    line->number = this_line;
    lines.push_back(std::move(*line));
  }
  result.next_line = number;
  if (!result.errors.empty() && !request.skip_bad) {
    return absl::InvalidArgumentError(fmt::format("{} bad line(s), nothing imported: {}",
                                                  result.skipped, ErrorList(result.errors)));
  }

  // One batch at a time (the progress is read, then written with the batch), and no live write
  // of the same records in between.
  static std::mutex import_mu;
  std::lock_guard lock(import_mu);
  std::vector<std::unique_lock<std::mutex>> writes = vault.LockAllSubjects();
  ASSIGN_OR_RETURN(uint64_t progress, ReadProgress(*site, request.import_id));
  if (request.first_line > progress) {
    return absl::FailedPreconditionError(
        fmt::format("import '{}' at site '{}' expects line {} next, not {}", request.import_id,
                    request.site, progress, request.first_line));
  }
  ASSIGN_OR_RETURN(uint64_t decided, vault.LogDecision(caller, vault::Action::kImport, resource, d,
                                                       {{"import", request.import_id},
                                                        {"first_line", request.first_line}}));
  result.log_index = decided;

  vault::Justification why;
  why.principal = *caller.principal;
  why.action = vault::Action::kImport;
  why.jurisdiction = request.jurisdiction;
  why.log_index = decided;
  SiteKeys keys(vault.custodian(), *site, why);
  store::WriteBatch batch;
  crypto::Sha256Hasher ciphertext;
  std::map<std::string, uint64_t, std::less<>> versions;  // of records this batch writes
  for (const Line& line : lines) {
    if (line.number < progress) {
      ++result.already;
      continue;
    }
    absl::StatusOr<std::string> home = vault.subjects().Jurisdiction(line.subject);
    if (absl::IsNotFound(home.status())) {
      ASSIGN_OR_RETURN(bool created, vault.subjects().Register(line.subject, request.jurisdiction));
      result.registered += created ? 1 : 0;
      home = request.jurisdiction;
    }
    RETURN_IF_ERROR(home.status());
    if (*home != request.jurisdiction) {
      LineError e{line.number, fmt::format("subject '{}' is registered in {}, not {}", line.subject,
                                           *home, request.jurisdiction)};
      if (!request.skip_bad) {
        return absl::InvalidArgumentError(
            fmt::format("line {}: {}; nothing of this batch imported", e.line, e.message));
      }
      result.errors.push_back(std::move(e));
      ++result.skipped;
      continue;
    }
    const std::string store_key = vault::RecordStoreKey(line.subject, line.key);
    uint64_t version = 1;
    if (auto it = versions.find(store_key); it != versions.end()) {
      version = it->second + 1;
    } else {
      ASSIGN_OR_RETURN(std::optional<vault::StoredRecord> existing,
                       site->GetRecord(line.subject, line.key));
      if (existing.has_value()) version = existing->version + 1;
    }
    result.created += version == 1 ? 1 : 0;
    versions[store_key] = version;
    ASSIGN_OR_RETURN(SiteKeys::Key key, keys.Get(line.subject, line.classification, true));
    if (key.created.has_value()) {
      batch.Put(vault::DataKeyStoreKey(line.subject, line.classification),
                AsChars(keys::EncodeWrappedDataKey(*key.created)));
    }
    vault::StoredRecord record;
    record.classification = line.classification;
    record.key_class = line.classification;
    record.version = version;
    keys::RecordBinding binding{site->site().id, line.subject, line.key,
                                vault::ClassificationName(line.classification), version};
    ASSIGN_OR_RETURN(record.envelope, keys::SealValue(key.key->view(), binding, line.value));
    ciphertext.Update(record.envelope);
    batch.Put(store_key, vault::EncodeStoredRecord(record));
    ++result.imported;
  }
  batch.Put(ProgressKey(request.import_id), std::to_string(result.next_line));
  // The batch's event first, then the batch: a crash between them leaves an event for records
  // that are not there (the resumed import writes and logs them again), never records the log
  // does not show.
  const crypto::Sha256Digest digest = ciphertext.Finish();
  nlohmann::json details = {{"site", request.site},
                            {"site_role", vault::SiteRoleName(site->site().role)},
                            {"jurisdiction", request.jurisdiction},
                            {"created", result.created},
                            {"import", request.import_id},
                            {"first_line", request.first_line},
                            {"next_line", result.next_line},
                            {"records", result.imported},
                            {"registered", result.registered},
                            {"skipped", result.skipped},
                            {"ciphertext_sha256", HexEncode(digest)},
                            {"decision_index", decided}};
  ASSIGN_OR_RETURN(result.log_index,
                   vault.LogEvent(vault::LifecycleEvent(vault.event_source(), vault.clock()->Now(),
                                                        "import", *caller.principal, details)));
  if (absl::Status written = site->kv().Write(batch); !written.ok()) {
    return vault::WithLogIndex(written, result.log_index);
  }
  keys.MarkStored();
  return result;
}

}  // namespace domicile::ops
