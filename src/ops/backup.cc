#include "ops/backup.h"

#include <set>

#include "absl/strings/escaping.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ops/merkle_root.h"
#include "util/encoding.h"
#include "util/status_macros.h"
#include "vault/events.h"
#include "vault/names.h"
#include "vault/site_store.h"

namespace domicile::ops {
namespace {

// `key` with its unprintable bytes escaped, for error messages.
std::string Printable(std::string_view key) {
  return absl::CHexEscape(absl::string_view(key.data(), key.size()));
}

absl::Status EntryError(std::string_view id, uint32_t chunk, uint64_t index, std::string_view key,
                        std::string_view problem) {
  return absl::DataLossError(fmt::format("backup {}: {} entry {} (key \"{}\"): {}", id,
                                         ChunkName(chunk), index, Printable(key), problem));
}

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

// Reads chunk `index` and checks it against the manifest's size and SHA-256.
absl::StatusOr<std::string> ReadCheckedChunk(const BackupStore& src, const BackupManifest& m,
                                             uint32_t index) {
  const BackupChunk& expected = m.chunks[index];
  absl::StatusOr<std::string> chunk = src.ReadChunk(m.id, index);
  if (absl::IsNotFound(chunk.status())) {
    return absl::DataLossError(fmt::format("backup {}: {} is missing", m.id, expected.name));
  }
  RETURN_IF_ERROR(chunk.status());
  if (chunk->size() != expected.bytes) {
    return absl::DataLossError(fmt::format("backup {}: {} is {} bytes, the manifest says {}", m.id,
                                           expected.name, chunk->size(), expected.bytes));
  }
  if (HexEncode(crypto::Sha256(AsBytes(*chunk))) != expected.sha256) {
    return absl::DataLossError(fmt::format(
        "backup {}: {} does not match its sha256 in the manifest", m.id, expected.name));
  }
  return chunk;
}

absl::StatusOr<BackupManifest> ReadManifest(const BackupStore& src, std::string_view id) {
  ASSIGN_OR_RETURN(std::string text, src.ReadManifest(id));
  absl::StatusOr<BackupManifest> m = ParseManifest(text);
  if (!m.ok()) {
    return absl::DataLossError(fmt::format("backup {}: {}", id, std::string(m.status().message())));
  }
  if (m->id != id) {
    return absl::DataLossError(
        fmt::format("backup {}: field \"id\" of the manifest is \"{}\"", id, m->id));
  }
  return m;
}

// Called for each verified entry of a backup, in order.
using EntryFn = std::function<absl::Status(const BackupEntryKey& key, const ChunkReader::Entry&)>;

absl::StatusOr<BackupManifest> Verify(const BackupStore& src, std::string_view id,
                                      const EntryFn& on_entry, const ProgressFn& progress,
                                      const std::atomic<bool>* cancel) {
  ASSIGN_OR_RETURN(BackupManifest m, ReadManifest(src, id));
  MerkleRoot root;
  std::string previous_key;
  uint64_t records = 0, data_keys = 0, bytes = 0;
  for (uint32_t c = 0; c < m.chunks.size(); ++c) {
    if (Cancelled(cancel)) return absl::CancelledError("backup verification cancelled");
    ASSIGN_OR_RETURN(std::string chunk, ReadCheckedChunk(src, m, c));
    ChunkReader reader(chunk);
    ChunkReader::Entry entry;
    uint64_t index = 0;
    for (;; ++index) {
      absl::StatusOr<bool> more = reader.Next(entry);
      if (!more.ok()) {
        return absl::DataLossError(fmt::format("backup {}: {} entry {}: {}", id, m.chunks[c].name,
                                               index, std::string(more.status().message())));
      }
      if (!*more) break;
      if (!previous_key.empty() && entry.key <= previous_key) {
        return EntryError(id, c, index, entry.key, "keys are not in strictly ascending order");
      }
      absl::StatusOr<BackupEntryKey> key = CheckBackupEntry(entry.key, entry.value);
      if (!key.ok()) {
        return EntryError(id, c, index, entry.key, std::string(key.status().message()));
      }
      (key->is_record ? records : data_keys) += 1;
      root.Add(AsBytes(entry.encoded));
      previous_key.assign(entry.key);
      if (on_entry) RETURN_IF_ERROR(on_entry(*key, entry));
    }
    if (index != m.chunks[c].entries) {
      return absl::DataLossError(fmt::format("backup {}: {} holds {} entries, the manifest says {}",
                                             id, m.chunks[c].name, index, m.chunks[c].entries));
    }
    bytes += chunk.size();
    if (progress) progress(root.size(), bytes);
  }
  if (records != m.records) {
    return absl::DataLossError(fmt::format("backup {}: holds {} records, field \"records\" says {}",
                                           id, records, m.records));
  }
  if (data_keys != m.data_keys) {
    return absl::DataLossError(fmt::format(
        "backup {}: holds {} data keys, field \"data_keys\" says {}", id, data_keys, m.data_keys));
  }
  if (HexEncode(root.Root()) != m.root) {
    return absl::DataLossError(
        fmt::format("backup {}: the Merkle root of its entries does not match field \"root\"", id));
  }
  return m;
}

// Accumulates entries into chunks of about `chunk_bytes` and writes each one full.
class ChunkWriter {
 public:
  ChunkWriter(BackupStore& dest, BackupManifest& manifest)
      : dest_(dest), manifest_(manifest), limit_(dest.chunk_bytes()) {
    buffer_.reserve(limit_);
  }

  // Appends an entry; returns it as encoded in the chunk (valid until the next call).
  std::string_view Append(std::string_view key, std::string_view value) {
    const size_t start = buffer_.size();
    AppendBackupEntry(buffer_, key, value);
    ++entries_;
    return std::string_view(buffer_).substr(start);
  }
  bool Full() const { return buffer_.size() >= limit_; }

  absl::Status Flush() {
    if (entries_ == 0) return absl::OkStatus();
    const uint32_t index = static_cast<uint32_t>(manifest_.chunks.size());
    RETURN_IF_ERROR(dest_.WriteChunk(manifest_.id, index, buffer_));
    manifest_.chunks.push_back(
        {ChunkName(index), entries_, buffer_.size(), HexEncode(crypto::Sha256(AsBytes(buffer_)))});
    manifest_.bytes += buffer_.size();
    buffer_.clear();
    entries_ = 0;
    return absl::OkStatus();
  }

 private:
  BackupStore& dest_;
  BackupManifest& manifest_;
  const size_t limit_;
  std::string buffer_;
  uint64_t entries_ = 0;
};

// The progress of a restore as kept under RestoreProgressKey: how many of the backup's entries
// (in order) are done, and the counts so far.
std::string EncodeRestoreProgress(uint64_t done, const RestoreResult& r) {
  const nlohmann::json j = {{"done", done},
                            {"root", r.manifest.root},
                            {"records_restored", r.records_restored},
                            {"data_keys_restored", r.data_keys_restored},
                            {"skipped_erased", r.skipped_erased},
                            {"conflicts", r.conflicts},
                            {"kept_newer", r.kept_newer}};
  return vault::CanonicalJson(j);
}

// Reads saved progress into `r`'s counts; returns the entries done.
absl::StatusOr<uint64_t> DecodeRestoreProgress(std::string_view key, std::string_view text,
                                               RestoreResult& r) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto count = [&j](const char* field, uint64_t& out) {
    if (!j.is_object() || !j.contains(field) || !j[field].is_number_unsigned()) return false;
    out = j[field].get<uint64_t>();
    return true;
  };
  uint64_t done = 0;
  if (!count("done", done) || !count("records_restored", r.records_restored) ||
      !count("data_keys_restored", r.data_keys_restored) ||
      !count("skipped_erased", r.skipped_erased) || !count("conflicts", r.conflicts) ||
      !count("kept_newer", r.kept_newer) || !j.contains("root") || !j["root"].is_string()) {
    return absl::DataLossError(fmt::format("the restore progress under {} is malformed", key));
  }
  if (j["root"].get<std::string>() != r.manifest.root || done > r.manifest.entries) {
    return absl::FailedPreconditionError(fmt::format(
        "the restore progress under {} belongs to another backup with the same id", key));
  }
  return done;
}

absl::Status CheckSameSite(const BackupManifest& m, std::string_view site) {
  if (m.site == site) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "backup {} holds the data of site {}, not {}: its records are bound to their site and "
      "could never be opened at another",
      m.id, m.site, site));
}

}  // namespace

absl::StatusOr<BackupManifest> TakeBackup(const store::KvStore& source, BackupStore& dest,
                                          const BackupParams& params, const ProgressFn& progress,
                                          const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(vault::ValidateId("site", params.site));
  RETURN_IF_ERROR(vault::ValidateJurisdiction(params.site_jurisdiction));
  for (const std::string& j : params.jurisdictions) RETURN_IF_ERROR(vault::ValidateJurisdiction(j));
  static const RealClock real_clock;
  const auto now = (params.clock != nullptr ? params.clock : &real_clock)->Now();

  BackupManifest m;
  ASSIGN_OR_RETURN(m.id, MakeBackupId(params.site, now));
  m.site = params.site;
  m.site_jurisdiction = params.site_jurisdiction;
  m.jurisdictions = params.jurisdictions;
  m.created = FormatBackupTime(now);
  m.checkpoint = params.checkpoint;

  ASSIGN_OR_RETURN(std::unique_ptr<store::Snapshot> snapshot, source.GetSnapshot());
  ChunkWriter writer(dest, m);
  MerkleRoot root;
  absl::Status status;
  auto visit = [&](std::string_view key, std::string_view value) {
    const std::string_view encoded = writer.Append(key, value);
    absl::StatusOr<BackupEntryKey> checked = CheckBackupEntry(key, value);
    if (!checked.ok()) {
      status =
          absl::DataLossError(fmt::format("site {} holds a malformed entry \"{}\": {}", params.site,
                                          Printable(key), std::string(checked.status().message())));
      return false;
    }
    (checked->is_record ? m.records : m.data_keys) += 1;
    root.Add(AsBytes(encoded));
    if (!writer.Full()) return true;
    status = writer.Flush();
    if (status.ok() && progress) progress(root.size(), m.bytes);
    if (status.ok() && Cancelled(cancel)) status = absl::CancelledError("backup cancelled");
    return status.ok();
  };
  for (std::string_view prefix : kBackupPrefixes) {
    RETURN_IF_ERROR(snapshot->Scan(prefix, visit));
    RETURN_IF_ERROR(status);
  }
  RETURN_IF_ERROR(writer.Flush());
  m.entries = root.size();
  m.root = HexEncode(root.Root());
  RETURN_IF_ERROR(dest.WriteManifest(m.id, EncodeManifest(m)));
  if (progress) progress(m.entries, m.bytes);
  return m;
}

absl::StatusOr<BackupManifest> VerifyBackup(const BackupStore& src, std::string_view id,
                                            const ProgressFn& progress,
                                            const std::atomic<bool>* cancel) {
  return Verify(src, id, nullptr, progress, cancel);
}

std::string RestoreProgressKey(std::string_view id) { return fmt::format("restore/{}", id); }

absl::StatusOr<RestoreResult> Restore(const BackupStore& src, std::string_view id,
                                      store::KvStore& target, const RestoreParams& params,
                                      const ProgressFn& progress, const std::atomic<bool>* cancel) {
  {
    ASSIGN_OR_RETURN(BackupManifest unverified, ReadManifest(src, id));
    RETURN_IF_ERROR(CheckSameSite(unverified, params.site));
  }
  auto skip = [&params](std::string_view subject) {
    return params.skip_subject && params.skip_subject(subject);
  };
  // Subjects with a data key at the target other than the backup's, found while verifying.
  std::set<std::string, std::less<>> conflicted;
  auto find_conflicts = [&](const BackupEntryKey& key, const ChunkReader::Entry& entry) {
    if (key.is_record || skip(key.subject)) return absl::OkStatus();
    absl::StatusOr<std::string> held = target.Get(entry.key);
    if (absl::IsNotFound(held.status())) return absl::OkStatus();
    RETURN_IF_ERROR(held.status());
    if (*held != entry.value) conflicted.emplace(key.subject);
    return absl::OkStatus();
  };
  RestoreResult result;
  ASSIGN_OR_RETURN(result.manifest, Verify(src, id, find_conflicts, nullptr, cancel));
  const BackupManifest& m = result.manifest;
  RETURN_IF_ERROR(CheckSameSite(m, params.site));

  const std::string progress_key = RestoreProgressKey(id);
  uint64_t done = 0;
  absl::StatusOr<std::string> saved = target.Get(progress_key);
  if (saved.ok()) {
    ASSIGN_OR_RETURN(done, DecodeRestoreProgress(progress_key, *saved, result));
  } else if (!absl::IsNotFound(saved.status())) {
    return saved.status();
  }

  uint64_t index = 0, bytes = 0;
  store::WriteBatch batch;
  size_t pending = 0, pending_bytes = 0;
  // Writes the batch with the progress so far; the last one removes the progress instead, so a
  // later restore of the same backup starts afresh.
  auto flush = [&](bool last) -> absl::Status {
    if (last) {
      batch.Delete(progress_key);
    } else {
      batch.Put(progress_key, EncodeRestoreProgress(index, result));
    }
    // Batches of puts are loaded in bulk where the store can (the last one deletes the progress).
    RETURN_IF_ERROR(last ? target.Write(batch) : target.WriteBulk(batch));
    batch = store::WriteBatch();
    pending = pending_bytes = 0;
    if (progress) progress(index, bytes);
    if (!last && Cancelled(cancel)) {
      return absl::CancelledError(fmt::format(
          "restore of backup {} cancelled after {} of {} entries", id, index, m.entries));
    }
    return absl::OkStatus();
  };
  auto restore_entry = [&](const ChunkReader::Entry& entry) -> absl::Status {
    ASSIGN_OR_RETURN(BackupEntryKey key, ParseBackupKey(entry.key));
    if (skip(key.subject)) {
      ++result.skipped_erased;
      return absl::OkStatus();
    }
    if (conflicted.contains(key.subject)) {
      ++result.conflicts;
      return absl::OkStatus();
    }
    if (!key.is_record) {
      batch.Put(entry.key, entry.value);
      ++result.data_keys_restored;
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> held = target.Get(entry.key);
    if (held.ok()) {
      absl::StatusOr<vault::StoredRecord> held_record = vault::DecodeStoredRecord(*held);
      if (!held_record.ok()) {
        return absl::DataLossError(fmt::format("site {} holds a malformed record \"{}\"",
                                               params.site, Printable(entry.key)));
      }
      ASSIGN_OR_RETURN(vault::StoredRecord record, vault::DecodeStoredRecord(entry.value));
      if (held_record->version > record.version) {
        ++result.kept_newer;
        return absl::OkStatus();
      }
    } else if (!absl::IsNotFound(held.status())) {
      return held.status();
    }
    batch.Put(entry.key, entry.value);
    ++result.records_restored;
    return absl::OkStatus();
  };

  for (uint32_t c = 0; c < m.chunks.size(); ++c) {
    if (index + m.chunks[c].entries <= done) {  // restored by an earlier call
      index += m.chunks[c].entries;
      bytes += m.chunks[c].bytes;
      continue;
    }
    ASSIGN_OR_RETURN(std::string chunk, ReadCheckedChunk(src, m, c));
    ChunkReader reader(chunk);
    ChunkReader::Entry entry;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, reader.Next(entry));
      if (!more) break;
      if (index >= done) {
        RETURN_IF_ERROR(restore_entry(entry));
        ++pending;
        pending_bytes += entry.encoded.size();
      }
      ++index;
      bytes += entry.encoded.size();
      if (pending > 0 && index < m.entries &&
          (pending >= params.batch_entries || pending_bytes >= params.batch_bytes)) {
        RETURN_IF_ERROR(flush(/*last=*/false));
      }
    }
  }
  RETURN_IF_ERROR(flush(/*last=*/true));
  return result;
}

}  // namespace domicile::ops
