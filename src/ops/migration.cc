#include "ops/migration.h"

#include <algorithm>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "crypto/secret_bytes.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ops/merkle_root.h"
#include "ops/site_keys.h"
#include "ops/sites.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "util/worker.h"

namespace domicile::ops {
namespace {

// A copy batch ends after this many records or bytes of sealed values, whichever comes first;
// each is one durable write at the target, made while the next batch is sealed.
constexpr size_t kBatchRecords = 4096;
constexpr size_t kBatchBytes = 4 << 20;
// Live writes wait while the copy pass builds and writes batches; it lets them in after this
// many records.
constexpr size_t kVisitRecords = 16384;
// The verify pass opens this many records (or bytes) at once, on every core, while it reads the
// next ones.
constexpr size_t kVerifyRecords = 1024;
constexpr size_t kVerifyBytes = 4 << 20;
constexpr size_t kMaxHeldKeys = 4096;
constexpr unsigned kMaxThreads = 8;

std::string CursorKey(std::string_view from, std::string_view jurisdiction) {
  return fmt::format("mig/{}/{}", from, jurisdiction);
}
std::string MarkKey(std::string_view jurisdiction) {
  return fmt::format("migrated/{}", jurisdiction);
}

absl::Status Interrupted() {
  return absl::CancelledError(
      "interrupted; everything copied so far is kept: run it again to resume");
}

// Workers to spread a batch over the machine's cores, with the calling thread.
std::vector<std::unique_ptr<Worker>> Helpers() {
  const unsigned cores = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxThreads);
  std::vector<std::unique_ptr<Worker>> helpers;
  for (unsigned i = 1; i < cores; ++i) helpers.push_back(std::make_unique<Worker>());
  return helpers;
}

// Runs fn(i) for every i in [0, n), on this thread and the helpers; the first error in index
// order, if any.
absl::Status ParallelFor(std::vector<std::unique_ptr<Worker>>& helpers, size_t n,
                         const std::function<absl::Status(size_t)>& fn) {
  const size_t parts = std::min(helpers.size() + 1, n / 16 + 1);
  auto run = [&](size_t part) {
    for (size_t i = n * part / parts; i < n * (part + 1) / parts; ++i) RETURN_IF_ERROR(fn(i));
    return absl::OkStatus();
  };
  std::vector<std::future<absl::Status>> others;
  for (size_t part = 1; part < parts; ++part) {
    others.push_back(helpers[part - 1]->Submit([&run, part] { return run(part); }));
  }
  absl::Status first = run(0);
  for (std::future<absl::Status>& other : others) {
    absl::Status s = other.get();
    if (first.ok()) first = std::move(s);
  }
  return first;
}

// A record the copy pass moves: opened with the source's key, sealed with the target's.
struct Move {
  std::string subject, key;
  vault::StoredRecord record;
  const crypto::SecretBytes* open = nullptr;  // held by the pass's SiteKeys until it forgets
  const crypto::SecretBytes* seal = nullptr;
  std::string sealed;  // the record as stored at the target
};

absl::Status Reseal(std::string_view from, std::string_view to, Move& m) {
  keys::RecordBinding binding{from, m.subject, m.key,
                              vault::ClassificationName(m.record.classification), m.record.version};
  ASSIGN_OR_RETURN(Bytes plain, keys::OpenValue(m.open->view(), binding, m.record.envelope));
  binding.site = to;
  vault::StoredRecord moved;
  moved.classification = m.record.classification;
  moved.key_class = m.record.classification;
  moved.version = m.record.version;
  absl::StatusOr<Bytes> sealed = keys::SealValue(m.seal->view(), binding, plain);
  crypto::Cleanse(plain);
  RETURN_IF_ERROR(sealed.status());
  moved.envelope = std::move(*sealed);
  m.sealed = vault::EncodeStoredRecord(moved);
  return absl::OkStatus();
}

// The copy pass: every record of the jurisdiction at the source that the target lacks.
absl::Status Copy(vault::Vault& vault, vault::SiteStore& from, vault::SiteStore& to,
                  const std::string& jurisdiction, const vault::Justification& why,
                  Progress& progress, MigrationResult& result) {
  SiteKeys source_keys(vault.custodian(), from, why);
  SiteKeys target_keys(vault.custodian(), to, why);
  const std::string cursor_key = CursorKey(from.site().id, jurisdiction);
  std::string cursor;
  if (absl::StatusOr<std::string> saved = to.kv().Get(cursor_key); saved.ok()) {
    cursor = *saved;
  } else if (!absl::IsNotFound(saved.status())) {
    return saved.status();
  }

  RecordLookahead there(to.kv(), /*values=*/false);
  store::WriteBatch batch;  // the batch being gathered: the new data keys, then its moves
  std::vector<Move> moves;
  size_t batch_bytes = 0, visited = 0;
  // Held from when a record is found missing at the target until its batch is durable, so that
  // no live write comes in between; let go every kVisitRecords records.
  std::vector<std::unique_lock<std::mutex>> writes;
  // The batch before, sealed by the helpers while this thread gathers the next one. Writes stay
  // on this thread, and so do the memtables RocksDB allocates for them.
  std::vector<std::unique_ptr<Worker>> helpers = Helpers();
  Worker sealer;
  store::WriteBatch sealing_batch;
  std::vector<Move> sealing;
  std::future<absl::Status> sealed;
  // Waits for the batch being sealed and writes it.
  auto write_sealed = [&]() -> absl::Status {
    if (!sealed.valid()) return absl::OkStatus();
    RETURN_IF_ERROR(sealed.get());
    for (Move& m : sealing) {
      sealing_batch.Put(vault::RecordStoreKey(m.subject, m.key), m.sealed);
    }
    result.copied += sealing.size();
    sealing.clear();
    RETURN_IF_ERROR(to.kv().Write(sealing_batch));
    sealing_batch = store::WriteBatch();
    return absl::OkStatus();
  };
  // Hands the batch, with the cursor `next` when not empty, to the helpers to seal and writes the
  // one before meanwhile; with `release` (or to forget keys), waits until both are durable and
  // lets live writes in.
  auto flush = [&](std::string_view next, bool release) -> absl::Status {
    // A batch that copied nothing need not move the cursor: a resumed run would skip the same
    // records again.
    if (!batch.empty() || !moves.empty()) {
      if (!next.empty()) batch.Put(cursor_key, next);
      RETURN_IF_ERROR(sealed.valid() ? sealed.get() : absl::OkStatus());
      store::WriteBatch before = std::move(sealing_batch);
      std::vector<Move> before_moves = std::move(sealing);
      sealing_batch = std::move(batch);
      sealing = std::move(moves);
      sealed = sealer.Submit([&] {
        return ParallelFor(helpers, sealing.size(), [&](size_t i) {
          return Reseal(from.site().id, to.site().id, sealing[i]);
        });
      });
      // The data keys made for it are written with it, after the batch before and before any
      // later one.
      target_keys.MarkStored();
      for (Move& m : before_moves) before.Put(vault::RecordStoreKey(m.subject, m.key), m.sealed);
      result.copied += before_moves.size();
      before_moves.clear();
      if (!before.empty()) RETURN_IF_ERROR(to.kv().Write(before));
    }
    batch = store::WriteBatch();
    moves.clear();
    batch_bytes = 0;
    const bool forget = source_keys.size() + target_keys.size() > kMaxHeldKeys;
    if (release || forget) RETURN_IF_ERROR(write_sealed());
    if (release) {
      writes.clear();
      there.Reset();  // the target may change once unlocked
      visited = 0;
    }
    if (forget) {
      source_keys.Forget();  // no move holds them: every one was written above
      target_keys.Forget();
    }
    return absl::OkStatus();
  };
  absl::Status copied = ForEachRecordOf(
      vault, from, jurisdiction, cursor,
      [&](std::string_view store_key, std::string_view subject, std::string_view key,
          vault::StoredRecord record) -> absl::Status {
        if (writes.empty()) writes = vault.LockAllSubjects();
        progress.records.fetch_add(1);
        progress.bytes.fetch_add(record.envelope.size());
        ++visited;
        ASSIGN_OR_RETURN(std::optional<std::string_view> present, there.Find(subject, store_key));
        if (!present.has_value()) {
          Move m;
          m.subject = std::string(subject);
          m.key = std::string(key);
          m.record = std::move(record);
          ASSIGN_OR_RETURN(SiteKeys::Key open, source_keys.Get(subject, m.record.key_class, false));
          ASSIGN_OR_RETURN(SiteKeys::Key seal,
                           target_keys.Get(subject, m.record.classification, true));
          if (seal.created.has_value()) {
            batch.Put(vault::DataKeyStoreKey(subject, m.record.classification),
                      AsChars(keys::EncodeWrappedDataKey(*seal.created)));
          }
          m.open = open.key;
          m.seal = seal.key;
          batch_bytes += store_key.size() + m.record.envelope.size();
          moves.push_back(std::move(m));
        }
        const bool stop = progress.cancel.load();
        const bool release = stop || visited >= kVisitRecords;
        if (release || moves.size() >= kBatchRecords || batch_bytes >= kBatchBytes) {
          // Resume after this record: the smallest key greater than it.
          RETURN_IF_ERROR(flush(std::string(store_key) + '\0', release));
          if (stop) return Interrupted();
        }
        return absl::OkStatus();
      });
  if (copied.ok()) copied = flush("", /*release=*/true);
  if (!copied.ok()) {
    if (sealed.valid()) sealed.wait();  // before what it seals goes
    target_keys.Forget();               // keys made for an unwritten batch are gone with it
  }
  return copied;
}

// A record the verify pass checks: its copy at the source and at the target, opened and hashed
// into their leaves.
struct Check {
  std::string subject, key;
  vault::StoredRecord mine;
  std::optional<vault::StoredRecord> theirs;
  const crypto::SecretBytes* my_key = nullptr;  // held by the pass's SiteKeys
  const crypto::SecretBytes* their_key = nullptr;
  tlog::Hash my_leaf{}, their_leaf{};
  uint64_t bytes = 0;
};

absl::Status Open(std::string_view from, std::string_view to, Check& c) {
  keys::RecordBinding binding{from, c.subject, c.key,
                              vault::ClassificationName(c.mine.classification), c.mine.version};
  ASSIGN_OR_RETURN(Bytes plain, keys::OpenValue(c.my_key->view(), binding, c.mine.envelope));
  c.my_leaf = tlog::LeafHash(RecordLeaf(c.subject, c.key, c.mine.version, plain));
  c.bytes = plain.size();
  crypto::Cleanse(plain);
  if (!c.theirs.has_value()) return absl::OkStatus();
  keys::RecordBinding target_binding{
      to, c.subject, c.key, vault::ClassificationName(c.theirs->classification), c.theirs->version};
  ASSIGN_OR_RETURN(Bytes copy,
                   keys::OpenValue(c.their_key->view(), target_binding, c.theirs->envelope));
  c.their_leaf = tlog::LeafHash(RecordLeaf(c.subject, c.key, c.theirs->version, copy));
  crypto::Cleanse(copy);
  return absl::OkStatus();
}

// The verify pass: both roots over the jurisdiction's records at the source.
absl::Status Verify(vault::Vault& vault, vault::SiteStore& from, vault::SiteStore& to,
                    const std::string& jurisdiction, const vault::Justification& why,
                    Progress& progress, MigrationResult& result) {
  SiteKeys source_keys(vault.custodian(), from, why);
  SiteKeys target_keys(vault.custodian(), to, why);
  MerkleRoot source_root, target_root;
  RecordLookahead there(to.kv(), /*values=*/true);
  uint64_t missing = 0;
  std::vector<Check> checks;  // being read
  size_t check_bytes = 0;
  std::vector<Check> opening;  // being opened, by `opened`
  std::vector<std::unique_ptr<Worker>> helpers = Helpers();
  Worker opener;
  std::future<absl::Status> opened;
  // Waits for the records being opened and adds their leaves, in order.
  auto collect = [&]() -> absl::Status {
    if (!opened.valid()) return absl::OkStatus();
    RETURN_IF_ERROR(opened.get());
    for (const Check& c : opening) {
      source_root.AddLeafHash(c.my_leaf);
      result.bytes += c.bytes;
      ++result.records;
      if (c.theirs.has_value()) {
        target_root.AddLeafHash(c.their_leaf);
      } else {
        ++missing;
      }
    }
    opening.clear();
    return absl::OkStatus();
  };
  // Starts opening the records read, once the previous ones are done.
  auto open = [&]() -> absl::Status {
    RETURN_IF_ERROR(collect());
    opening.swap(checks);
    check_bytes = 0;
    opened = opener.Submit([&] {
      return ParallelFor(helpers, opening.size(),
                         [&](size_t i) { return Open(from.site().id, to.site().id, opening[i]); });
    });
    return absl::OkStatus();
  };
  absl::Status verified = ForEachRecordOf(
      vault, from, jurisdiction, "",
      [&](std::string_view store_key, std::string_view subject, std::string_view key,
          vault::StoredRecord record) -> absl::Status {
        progress.records.fetch_add(1);
        progress.bytes.fetch_add(record.envelope.size());
        if (progress.cancel.load()) return Interrupted();
        if (source_keys.size() + target_keys.size() > kMaxHeldKeys) {
          RETURN_IF_ERROR(open());  // nothing may hold a key forgotten
          RETURN_IF_ERROR(collect());
          source_keys.Forget();
          target_keys.Forget();
        }
        Check c;
        c.subject = std::string(subject);
        c.key = std::string(key);
        c.mine = std::move(record);
        ASSIGN_OR_RETURN(SiteKeys::Key mine, source_keys.Get(subject, c.mine.key_class, false));
        c.my_key = mine.key;
        ASSIGN_OR_RETURN(std::optional<std::string_view> there_raw, there.Find(subject, store_key));
        if (there_raw.has_value()) {
          ASSIGN_OR_RETURN(c.theirs, vault::DecodeStoredRecord(*there_raw));
          ASSIGN_OR_RETURN(SiteKeys::Key theirs,
                           target_keys.Get(subject, c.theirs->key_class, false));
          c.their_key = theirs.key;
        }
        check_bytes += c.mine.envelope.size() + (c.theirs ? c.theirs->envelope.size() : 0);
        checks.push_back(std::move(c));
        if (checks.size() >= kVerifyRecords || check_bytes >= kVerifyBytes) return open();
        return absl::OkStatus();
      });
  if (verified.ok()) verified = open();
  if (verified.ok()) verified = collect();
  if (!verified.ok()) {
    if (opened.valid()) opened.wait();  // before what it reads goes
    return verified;
  }
  result.source_root = source_root.Root();
  result.target_root = target_root.Root();
  result.verified = missing == 0 && result.source_root == result.target_root;
  return absl::OkStatus();
}

uint64_t CountRecords(vault::Vault& vault, vault::SiteStore& site, const std::string& jurisdiction,
                      uint64_t& bytes) {
  uint64_t n = 0;
  bytes = 0;
  absl::Status counted = ForEachEncodedRecordOf(
      vault, site, jurisdiction, "",
      [&](std::string_view, std::string_view, std::string_view, std::string_view encoded) {
        ++n;
        bytes += encoded.size();
        return absl::OkStatus();
      });
  return counted.ok() ? n : 0;  // only an estimate for the progress bar
}

}  // namespace

absl::StatusOr<std::optional<nlohmann::json>> MigratedMark(vault::SiteStore& source,
                                                           std::string_view jurisdiction) {
  absl::StatusOr<std::string> raw = source.kv().Get(MarkKey(jurisdiction));
  if (absl::IsNotFound(raw.status())) return std::nullopt;
  RETURN_IF_ERROR(raw.status());
  nlohmann::json mark = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!mark.is_object()) {
    return absl::DataLossError(fmt::format("site '{}': the migration mark of {} is malformed",
                                           source.site().id, jurisdiction));
  }
  return mark;
}

absl::StatusOr<MigrationResult> Migrate(vault::Vault& vault, const vault::Caller& caller,
                                        const MigrationRequest& request, Progress& progress) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  ASSIGN_OR_RETURN(vault::SiteStore * from, SiteNamed(vault, request.from));
  ASSIGN_OR_RETURN(vault::SiteStore * to, SiteNamed(vault, request.to));
  MigrationResult result;
  result.jurisdiction = request.jurisdiction;
  if (result.jurisdiction.empty()) {
    if (from->site().legacy_of.size() != 1) {
      return absl::InvalidArgumentError(
          fmt::format("site '{}' holds data of {} jurisdictions: name one with --jurisdiction",
                      request.from, from->site().legacy_of.size()));
    }
    result.jurisdiction = from->site().legacy_of[0];
  }
  const std::string& j = result.jurisdiction;
  const vault::Resource resource = SiteResource(from->site(), j, to->site().id);
  const vault::Decision d = vault.Decide(caller, vault::Action::kMigrate, resource);
  if (!d.allow) return vault.LogDecision(caller, vault::Action::kMigrate, resource, d).status();
  absl::Status refusal;
  if (from == to) {
    refusal = absl::InvalidArgumentError("a site cannot be migrated to itself");
  } else if (from->site().role == vault::SiteRole::kBackup) {
    refusal = absl::InvalidArgumentError(
        fmt::format("site '{}' is a backup site: restore its backups instead", request.from));
  } else if (to->site().role != vault::SiteRole::kPrimary) {
    refusal = ResidencyViolationError(
        fmt::format("site '{}' is not a primary site: data is migrated to a primary", request.to));
  } else if (from->kv().Get(fmt::format("shredded/{}", j)).ok()) {
    refusal = absl::FailedPreconditionError(fmt::format(
        "{} data at site '{}' was shredded: its keys are destroyed and nothing of it can be "
        "migrated",
        j, request.from));
  } else {
    refusal = MayHoldLiveData(vault, to->site(), j);
  }
  if (!refusal.ok()) {
    return LogRefusal(vault, caller, vault::Action::kMigrate, resource, d, refusal,
                      ErrorCodeOf(refusal));
  }
  ASSIGN_OR_RETURN(uint64_t decided,
                   vault.LogDecision(caller, vault::Action::kMigrate, resource, d));
  progress.started.store(true);

  vault::Justification why;
  why.principal = *caller.principal;
  why.action = vault::Action::kMigrate;
  why.jurisdiction = j;
  why.log_index = decided;
  // The records to go, for the progress bar, are counted while the copy runs.
  uint64_t total = 0, total_bytes = 0;
  progress.Phase("copying", 0, 0);
  std::future<void> counted = std::async(std::launch::async, [&] {
    total = CountRecords(vault, *from, j, total_bytes);
    progress.records_total.store(total);
    progress.bytes_total.store(total_bytes);
  });
  absl::Status copied = Copy(vault, *from, *to, j, why, progress, result);
  counted.wait();
  RETURN_IF_ERROR(copied);
  progress.Phase("verifying", total, total_bytes);
  RETURN_IF_ERROR(Verify(vault, *from, *to, j, why, progress, result));

  nlohmann::json details = {{"from", request.from},
                            {"from_role", vault::SiteRoleName(from->site().role)},
                            {"to", request.to},
                            {"jurisdiction", j},
                            {"records", result.records},
                            {"copied", result.copied},
                            {"bytes", result.bytes},
                            {"source_root", HexEncode(result.source_root)},
                            {"target_root", HexEncode(result.target_root)},
                            {"verified", result.verified},
                            {"decision_index", decided}};
  if (result.verified) {
    // The mark first, then the event: a crash between them leaves a verified mark whose event
    // a second run writes (it copies nothing and verifies again).
    nlohmann::json mark = details;
    mark["time"] = vault::FormatEventTime(vault.clock()->Now());
    store::WriteBatch done;
    done.Put(MarkKey(j), mark.dump());
    RETURN_IF_ERROR(from->kv().Write(done));
    RETURN_IF_ERROR(to->kv().Delete(CursorKey(request.from, j)));
  } else {
    RETURN_IF_ERROR(from->kv().Delete(MarkKey(j)));  // an earlier verification no longer holds
  }
  ASSIGN_OR_RETURN(result.log_index,
                   vault.LogEvent(vault::LifecycleEvent(vault.event_source(), vault.clock()->Now(),
                                                        "migration", *caller.principal, details)));
  if (!result.verified) {
    return vault::WithLogIndex(
        absl::FailedPreconditionError(fmt::format(
            "migration of {} data from '{}' to '{}' did not verify: source root {} over {} "
            "records, target root {}; the source is not marked migrated",
            j, request.from, request.to, HexEncode(result.source_root), result.records,
            HexEncode(result.target_root))),
        result.log_index);
  }
  return result;
}

}  // namespace domicile::ops
