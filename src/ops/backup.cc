#include "ops/backup.h"

#include <future>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ops/merkle_root.h"
#include "util/encoding.h"
#include "util/page_buffer.h"
#include "util/status_macros.h"
#include "util/worker.h"
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

// Records are stored under this prefix (vault::RecordStoreKey); they sort after the data keys.
constexpr std::string_view kRecordPrefix = "r/";

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

// Reads a backup's chunks for a pass over them in order, each checked against the manifest; while
// the caller works on one chunk, the next is read and hashed on a worker of its own. Memory: two
// chunks.
class ChunkReadAhead {
 public:
  ChunkReadAhead(const BackupStore& src, const BackupManifest& m) : src_(src), m_(m) {}
  ~ChunkReadAhead() {
    if (ahead_.valid()) ahead_.wait();  // its task writes into this object
  }
  ChunkReadAhead(const ChunkReadAhead&) = delete;
  ChunkReadAhead& operator=(const ChunkReadAhead&) = delete;

  // Chunk `index`, checked; then starts reading the one after it, if any.
  absl::StatusOr<std::string> Read(uint32_t index) {
    absl::StatusOr<std::string> chunk;
    if (ahead_.valid() && ahead_index_ == index) {
      const absl::Status status = ahead_.get();
      if (status.ok()) {
        chunk = std::move(ahead_chunk_);
      } else {
        chunk = status;
      }
    } else {
      if (ahead_.valid()) ahead_.wait();
      chunk = ReadCheckedChunk(src_, m_, index);
    }
    if (chunk.ok() && index + 1 < m_.chunks.size()) {
      ahead_index_ = index + 1;
      ahead_ = worker_.Submit([this, next = index + 1]() -> absl::Status {
        ASSIGN_OR_RETURN(ahead_chunk_, ReadCheckedChunk(src_, m_, next));
        return absl::OkStatus();
      });
    }
    return chunk;
  }

 private:
  const BackupStore& src_;
  const BackupManifest& m_;
  std::string ahead_chunk_;  // written by the task behind ahead_
  uint32_t ahead_index_ = 0;
  std::future<absl::Status> ahead_;
  Worker worker_;  // last: destroyed (joined) first
};

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
  ChunkReadAhead chunks(src, m);
  for (uint32_t c = 0; c < m.chunks.size(); ++c) {
    if (Cancelled(cancel)) return absl::CancelledError("backup verification cancelled");
    ASSIGN_OR_RETURN(std::string chunk, chunks.Read(c));
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

// Accumulates entries into chunks of about the store's chunk size. A full chunk is handed to two
// workers of its own, one adding its entries to the Merkle root and hashing it, the other writing
// it, while the next chunk fills; the two buffers take turns, so memory stays at two chunks.
class ChunkWriter {
 public:
  ChunkWriter(BackupStore& dest, BackupManifest& manifest, MerkleRoot& root)
      : dest_(dest),
        manifest_(manifest),
        root_(root),
        limit_(dest.chunk_bytes()),
        // A chunk ends with the entry that reaches the limit: room for it too, so the buffers are
        // mapped once, not grown (a copy of the whole chunk) by the last entry of each.
        filling_{PageBuffer(limit_ + kEntrySlack), {}},
        in_flight_{PageBuffer(limit_ + kEntrySlack), {}} {}
  ~ChunkWriter() {  // the workers' tasks use the chunk in flight
    if (hashing_.valid()) hashing_.wait();
    if (writing_.valid()) writing_.wait();
  }
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  void Append(std::string_view key, std::string_view value) {
    const size_t n = BackupEntrySize(key, value);
    EncodeBackupEntry(filling_.bytes.Extend(n), key, value);
    filling_.bytes.Commit(n);
    filling_.ends.push_back(filling_.bytes.size());
  }
  bool Full() const { return filling_.bytes.size() >= limit_; }

  // Hands the chunk being filled to the workers, once the one before it is done (its error, if
  // any, is returned and nothing more is handed over).
  absl::Status Flush() {
    if (filling_.ends.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(Wait());
    filling_.bytes.Swap(in_flight_.bytes);
    filling_.ends.swap(in_flight_.ends);
    filling_.bytes.clear();
    filling_.ends.clear();
    const auto index = static_cast<uint32_t>(manifest_.chunks.size());
    hashing_ = hasher_.Submit([this] {
      size_t start = 0;
      const std::string_view bytes = in_flight_.bytes.view();
      for (size_t end : in_flight_.ends) {
        root_.Add(AsBytes(bytes.substr(start, end - start)));
        start = end;
      }
      in_flight_sha256_ = HexEncode(crypto::Sha256(AsBytes(bytes)));
      return absl::OkStatus();
    });
    writing_ = writer_.Submit(
        [this, index] { return dest_.WriteChunk(manifest_.id, index, in_flight_.bytes.view()); });
    return absl::OkStatus();
  }

  // Waits for the chunk in flight, if any, and records it in the manifest.
  absl::Status Wait() {
    if (!writing_.valid()) return absl::OkStatus();
    const absl::Status hashed = hashing_.get();
    const absl::Status written = writing_.get();
    RETURN_IF_ERROR(hashed);
    RETURN_IF_ERROR(written);
    const auto index = static_cast<uint32_t>(manifest_.chunks.size());
    manifest_.chunks.push_back(
        {ChunkName(index), in_flight_.ends.size(), in_flight_.bytes.size(), in_flight_sha256_});
    manifest_.bytes += in_flight_.bytes.size();
    entries_ += in_flight_.ends.size();
    return absl::OkStatus();
  }

  // Entries and bytes of the chunks recorded so far.
  uint64_t entries() const { return entries_; }
  uint64_t bytes() const { return manifest_.bytes; }

 private:
  struct Chunk {
    PageBuffer bytes;
    std::vector<size_t> ends;  // where each entry ends in `bytes`
  };
  static constexpr size_t kEntrySlack = 64 << 10;

  BackupStore& dest_;
  BackupManifest& manifest_;
  MerkleRoot& root_;  // the hasher's while a chunk is in flight
  const size_t limit_;
  Chunk filling_;
  Chunk in_flight_;               // read by both workers while in flight
  std::string in_flight_sha256_;  // the hasher's while in flight
  uint64_t entries_ = 0;
  std::future<absl::Status> hashing_, writing_;
  Worker hasher_, writer_;  // last: destroyed (joined) first
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
  MerkleRoot root;
  ChunkWriter writer(dest, m, root);
  absl::Status status;
  auto visit = [&](std::string_view key, std::string_view value) {
    absl::StatusOr<BackupEntryKey> checked = CheckBackupEntry(key, value);
    if (!checked.ok()) {
      status =
          absl::DataLossError(fmt::format("site {} holds a malformed entry \"{}\": {}", params.site,
                                          Printable(key), std::string(checked.status().message())));
      return false;
    }
    (checked->is_record ? m.records : m.data_keys) += 1;
    writer.Append(key, value);
    if (!writer.Full()) return true;
    status = writer.Flush();
    if (status.ok() && progress) progress(writer.entries(), writer.bytes());
    if (status.ok() && Cancelled(cancel)) status = absl::CancelledError("backup cancelled");
    return status.ok();
  };
  for (std::string_view prefix : kBackupPrefixes) {
    RETURN_IF_ERROR(snapshot->Scan(prefix, visit));
    RETURN_IF_ERROR(status);
  }
  RETURN_IF_ERROR(writer.Flush());
  RETURN_IF_ERROR(writer.Wait());
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
  size_t pending = 0, pending_bytes = 0;
  // The entries stream into a bulk load (on RocksDB, straight into an SST file) as they are read;
  // a full batch is committed on a worker of its own while the next one streams in, one at a
  // time and in order. No batch is held in memory.
  std::unique_ptr<store::BulkLoad> batch;  // started at its first put
  auto put = [&](std::string_view key, std::string_view value) -> absl::Status {
    if (batch == nullptr) {
      ASSIGN_OR_RETURN(batch, target.StartBulkLoad());
    }
    return batch->Put(key, value);
  };
  std::unique_ptr<store::BulkLoad> loading_batch;  // the worker's while `loading` is pending
  uint64_t loading_index = 0, loading_bytes = 0;
  std::string loading_progress;  // empty for the last batch
  std::future<absl::Status> loading;
  Worker loader;  // after what its tasks use: destroyed (joined) first
  auto wait_loaded = [&]() -> absl::Status {
    if (!loading.valid()) return absl::OkStatus();
    RETURN_IF_ERROR(loading.get());
    if (progress) progress(loading_index, loading_bytes);
    return absl::OkStatus();
  };
  // Commits the batch, then records the progress so far under its own key: in a separate write,
  // so the bulk-loaded files hold only the backup's keys, ascending from one batch to the next,
  // and never overlap. A crash between the two leaves the progress of the batch before, and a
  // rerun loads this batch again. After the last batch the progress is removed, so a later
  // restore of the same backup starts afresh.
  auto flush = [&](bool last) -> absl::Status {
    RETURN_IF_ERROR(wait_loaded());
    if (Cancelled(cancel)) {
      return absl::CancelledError(fmt::format(
          "restore of backup {} cancelled after {} of {} entries", id, loading_index, m.entries));
    }
    loading_batch = std::move(batch);
    pending = pending_bytes = 0;
    loading_index = index;
    loading_bytes = bytes;
    loading_progress = last ? std::string() : EncodeRestoreProgress(index, result);
    loading = loader.Submit([&]() -> absl::Status {
      if (loading_batch != nullptr) RETURN_IF_ERROR(loading_batch->Commit());
      loading_batch.reset();
      return loading_progress.empty() ? target.Delete(progress_key)
                                      : target.Put(progress_key, loading_progress);
    });
    return last ? wait_loaded() : absl::OkStatus();
  };

  // The versions of the records the target holds in the key range of the chunk at hand, read
  // with one scan per chunk rather than a get per record; `next_held` walks it in key order.
  std::vector<std::pair<std::string, uint64_t>> held;
  size_t next_held = 0;
  auto read_held = [&](std::string_view first, std::string_view last) -> absl::Status {
    held.clear();
    next_held = 0;
    absl::Status status;
    RETURN_IF_ERROR(
        target.ScanFrom(kRecordPrefix, first, [&](std::string_view key, std::string_view value) {
          if (key > last) return false;
          absl::StatusOr<vault::StoredRecord> record = vault::DecodeStoredRecord(value);
          if (!record.ok()) {
            status = absl::DataLossError(fmt::format("site {} holds a malformed record \"{}\"",
                                                     params.site, Printable(key)));
            return false;
          }
          held.emplace_back(std::string(key), record->version);
          return true;
        }));
    return status;
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
      RETURN_IF_ERROR(put(entry.key, entry.value));
      ++result.data_keys_restored;
      return absl::OkStatus();
    }
    while (next_held < held.size() && held[next_held].first < entry.key) ++next_held;
    if (next_held < held.size() && held[next_held].first == entry.key) {
      ASSIGN_OR_RETURN(vault::StoredRecord record, vault::DecodeStoredRecord(entry.value));
      if (held[next_held].second > record.version) {
        ++result.kept_newer;
        return absl::OkStatus();
      }
    }
    RETURN_IF_ERROR(put(entry.key, entry.value));
    ++result.records_restored;
    return absl::OkStatus();
  };

  ChunkReadAhead chunks(src, m);
  for (uint32_t c = 0; c < m.chunks.size(); ++c) {
    if (index + m.chunks[c].entries <= done) {  // restored by an earlier call
      index += m.chunks[c].entries;
      bytes += m.chunks[c].bytes;
      continue;
    }
    ASSIGN_OR_RETURN(std::string chunk, chunks.Read(c));
    {
      // The records to restore from this chunk lie between these keys (records sort last).
      std::string_view first, last;
      ChunkReader reader(chunk);
      ChunkReader::Entry entry;
      for (uint64_t i = index;; ++i) {
        ASSIGN_OR_RETURN(bool more, reader.Next(entry));
        if (!more) break;
        if (i < done || !entry.key.starts_with(kRecordPrefix)) continue;
        if (first.empty()) first = entry.key;
        last = entry.key;
      }
      held.clear();
      next_held = 0;
      if (!first.empty()) RETURN_IF_ERROR(read_held(first, last));
    }
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
