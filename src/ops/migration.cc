#include "ops/migration.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "crypto/constant_time.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "keys/envelope.h"
#include "nlohmann/json.hpp"
#include "ops/merkle_root.h"
#include "ops/site_keys.h"
#include "ops/sites.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/page_buffer.h"
#include "util/status_macros.h"
#include "util/worker.h"

namespace domicile::ops {
namespace {

// Records are opened, resealed and hashed a chunk at a time (MigrationTuning::chunk_records, or
// kChunkBytes), several chunks at once, while this thread reads the next ones.
// A chunk fills most of its huge page: each fresh one is zeroed when first touched (about a
// millisecond on the benchmark's VM), and a migration's first two windows touch fresh ones.
constexpr size_t kChunkBytes = 7 << 18;     // 1.75 MiB
constexpr size_t kChunkCapacity = 2 << 20;  // a huge page: room for the record that ends it
// A window (MigrationTuning::window_bytes): from its first record until its copies are durable,
// every subject's writes wait, so that no live write falls between finding a record missing at
// the target and copying it. Its records are held in memory until verified.
constexpr size_t kMaxHeldKeys = 4096;
constexpr unsigned kMaxWorkers = 8;

// The cursor an earlier version of the copy kept in the target; removed once a migration
// verifies.
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

// One source record of the pass. Its bytes are in its chunk's arena, its copy (when the target
// lacks it) in the chunk's copies.
struct Item {
  uint32_t key_at = 0, subject_size = 0, key_size = 0;  // the store key "r/<subject>/<key>"
  uint32_t source_at = 0, source_size = 0;              // the record at the source
  uint32_t target_at = 0, target_size = 0;              // at the target, when present
  bool present = false;
  const crypto::SecretBytes* source_key = nullptr;  // held by the pass's SiteKeys
  const crypto::SecretBytes* target_key = nullptr;  // seals the copy, or opens the target's
  // Set when processed; a copy then replaces the source record in the arena.
  uint32_t plaintext_size = 0;
  tlog::Hash source_leaf{}, target_leaf{};
  // Cleared when the copy read back from the target differs from what was written.
  bool target_ok = true;
};

// A data key made for the target: stored before the copies it seals, and read back after.
struct MadeKey {
  std::string subject;
  vault::Classification cls;
  keys::WrappedDataKey wrapped;
  crypto::SecretBytes key;
};

struct Chunk {
  // In huge pages, reused from window to window: a fresh 4 KiB page costs a page fault. A copy
  // is sealed in place of its source record (the same format, so the same size).
  PageBuffer arena{kChunkCapacity};
  std::vector<Item> items;
  size_t copy_count = 0;
  std::vector<MadeKey> made;  // for its copies

  std::string_view Bytes(uint32_t at, uint32_t size) const { return arena.view().substr(at, size); }
  std::string_view StoreKey(const Item& i) const {
    return Bytes(i.key_at, 3 + i.subject_size + i.key_size);
  }
  std::string_view Subject(const Item& i) const { return Bytes(i.key_at + 2, i.subject_size); }
  std::string_view Key(const Item& i) const {
    return Bytes(i.key_at + 3 + i.subject_size, i.key_size);
  }
  std::string_view Source(const Item& i) const { return Bytes(i.source_at, i.source_size); }
  std::string_view Target(const Item& i) const { return Bytes(i.target_at, i.target_size); }
  std::string_view Copy(const Item& i) const { return Bytes(i.source_at, i.source_size); }
  uint32_t Append(std::string_view bytes) {
    const size_t at = arena.size();
    std::memcpy(arena.Extend(bytes.size()), bytes.data(), bytes.size());
    arena.Commit(bytes.size());
    return static_cast<uint32_t>(at);
  }
};

// Opens every record of `chunk` with the source's key and hashes its leaf; seals a copy under
// the target's key for each one the target lacks, and opens it again; opens the target's
// record for each one it holds and hashes the target's leaf. Runs on a worker.
absl::Status Process(std::string_view from, std::string_view to, Chunk& chunk) {
  thread_local Bytes plain, check;
  Bytes nonces(chunk.copy_count * crypto::kGcmNonceSize);
  RETURN_IF_ERROR(crypto::FillRandom(nonces));
  size_t next_nonce = 0;
  // Decodes a record as `site` stores it and opens it with `data_key` into `out`.
  auto open = [&](const Item& i, std::string_view site, std::string_view stored,
                  const crypto::SecretBytes& data_key,
                  Bytes& out) -> absl::StatusOr<vault::StoredRecordView> {
    absl::StatusOr<vault::StoredRecordView> record = vault::DecodeStoredRecordView(stored);
    if (record.ok() &&
        keys::OpenValueTo(data_key.view(),
                          {site, chunk.Subject(i), chunk.Key(i),
                           vault::ClassificationName(record->classification), record->version},
                          record->envelope, out)
            .ok()) {
      return record;
    }
    return absl::DataLossError(
        fmt::format("site '{}': record '{}' of '{}' is malformed or does not open under its "
                    "data key",
                    site, chunk.Key(i), chunk.Subject(i)));
  };
  absl::Status status;
  for (Item& i : chunk.items) {
    const std::string_view subject = chunk.Subject(i), key = chunk.Key(i);
    absl::StatusOr<vault::StoredRecordView> mine =
        open(i, from, chunk.Source(i), *i.source_key, plain);
    if (!mine.ok()) {
      status = mine.status();
      break;
    }
    keys::RecordBinding binding{to, subject, key, vault::ClassificationName(mine->classification),
                                mine->version};
    const crypto::Sha256Digest digest = crypto::Sha256(plain);
    i.plaintext_size = static_cast<uint32_t>(plain.size());
    i.source_leaf = RecordLeafHash(subject, key, mine->version, digest);
    if (i.present) {
      absl::StatusOr<vault::StoredRecordView> theirs =
          open(i, to, chunk.Target(i), *i.target_key, check);
      if (!theirs.ok()) {
        status = theirs.status();
        break;
      }
      i.target_leaf = theirs->version == mine->version && check == plain
                          ? i.source_leaf
                          : RecordLeafHash(subject, key, theirs->version,
                                           check == plain ? digest : crypto::Sha256(check));
    } else {
      // Sealed straight into its stored form in place of the source record (now opened), then
      // opened again as the target would.
      const std::array<char, vault::kStoredRecordHeaderSize> header =
          vault::StoredRecordHeader(mine->classification, mine->version);
      if (header.size() + keys::SealedValueSize(plain.size()) != i.source_size) {
        status = absl::InternalError("a copy's size differs from its source's");
        break;
      }
      char* out = chunk.arena.data() + i.source_at;
      std::memcpy(out, header.data(), header.size());
      auto envelope = std::span<uint8_t>(reinterpret_cast<uint8_t*>(out) + header.size(),
                                         keys::SealedValueSize(plain.size()));
      status = keys::SealValueTo(
          i.target_key->view(), binding,
          ByteView(nonces.data() + next_nonce++ * crypto::kGcmNonceSize, crypto::kGcmNonceSize),
          plain, envelope);
      if (!status.ok()) break;
      if (!keys::OpenValueTo(i.target_key->view(), binding, envelope, check).ok() ||
          check != plain) {
        status = absl::InternalError(
            fmt::format("record '{}' of '{}' sealed for site '{}' does not open to its value", key,
                        subject, to));
        break;
      }
      i.target_leaf = i.source_leaf;  // the same subject, key, version and value
    }
  }
  crypto::Cleanse(plain);
  crypto::Cleanse(check);
  return status;
}

// The migration's one pass over the jurisdiction's records at the source, in store order. Each
// record is opened and hashed into the source's root; a record the target lacks is sealed under
// the target's data key and bulk-loaded there; the target's records (copied or already there)
// are opened and hashed into the target's root, a copy only once it is read back from the
// target's store as written. A second run copies nothing and verifies everything again.
class Pass {
 public:
  Pass(vault::Vault& vault, vault::SiteStore& from, vault::SiteStore& to, std::string jurisdiction,
       const vault::Justification& why, Progress& progress, MigrationResult& result,
       const MigrationTuning& tuning)
      : tuning_(tuning),
        vault_(vault),
        why_(why),
        from_(from),
        to_(to),
        jurisdiction_(std::move(jurisdiction)),
        progress_(progress),
        result_(result),
        source_keys_(vault.custodian(), from, why),
        target_keys_(vault.custodian(), to, why),
        there_(to.kv(), /*values=*/true) {
    const unsigned cores = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxWorkers);
    for (unsigned i = 0; i < cores; ++i) workers_.push_back(std::make_unique<Worker>());
  }
  // Waits for the chunks still being processed: they use this pass's keys and chunks.
  ~Pass() {
    for (InFlight& f : in_flight_) f.done.wait();
  }

  absl::Status Run() {
    absl::Status visited = ForEachEncodedRecordOf(
        vault_, from_, jurisdiction_, "",
        [&](std::string_view store_key, std::string_view subject, std::string_view key,
            std::string_view encoded) { return Visit(store_key, subject, key, encoded); });
    if (visited.ok()) visited = EndWindow();
    absl::Status verified = Verified();
    RETURN_IF_ERROR(visited);
    RETURN_IF_ERROR(verified);
    result_.source_root = source_root_.Root();
    result_.target_root = same_roots_ ? result_.source_root : target_root_.Root();
    result_.verified = missing_ == 0 && result_.source_root == result_.target_root;
    return absl::OkStatus();
  }

 private:
  struct InFlight {
    std::unique_ptr<Chunk> chunk;
    std::future<absl::Status> done;
  };
  using Window = std::vector<std::unique_ptr<Chunk>>;

  absl::Status Visit(std::string_view store_key, std::string_view subject, std::string_view key,
                     std::string_view encoded) {
    if (locks_.empty()) locks_ = vault_.LockAllSubjects();
    progress_.records.fetch_add(1);
    progress_.bytes.fetch_add(encoded.size());
    ++window_records_;
    ASSIGN_OR_RETURN(vault::StoredRecordView mine, Decoded(from_, subject, key, encoded));
    if (chunk_ == nullptr) chunk_ = SpareChunk();
    Chunk& c = *chunk_;
    Item i;
    i.key_at = c.Append(store_key);
    i.subject_size = static_cast<uint32_t>(subject.size());
    i.key_size = static_cast<uint32_t>(key.size());
    i.source_at = c.Append(encoded);
    i.source_size = static_cast<uint32_t>(encoded.size());
    ASSIGN_OR_RETURN(SiteKeys::Key source_key, source_keys_.Get(subject, mine.key_class, false));
    i.source_key = source_key.key;
    ASSIGN_OR_RETURN(std::optional<std::string_view> there, there_.Find(subject, store_key));
    if (there.has_value()) {
      ASSIGN_OR_RETURN(vault::StoredRecordView theirs, Decoded(to_, subject, key, *there));
      ASSIGN_OR_RETURN(SiteKeys::Key target_key,
                       target_keys_.Get(subject, theirs.key_class, false));
      i.present = true;
      i.target_key = target_key.key;
      i.target_at = c.Append(*there);
      i.target_size = static_cast<uint32_t>(there->size());
    } else {
      ASSIGN_OR_RETURN(SiteKeys::Key target_key,
                       target_keys_.Get(subject, mine.classification, true));
      if (target_key.created.has_value()) {
        crypto::SecretBytes copy(target_key.key->size());
        std::memcpy(copy.data(), target_key.key->view().data(), copy.size());
        c.made.push_back(MadeKey{std::string(subject), mine.classification,
                                 std::move(*target_key.created), std::move(copy)});
        target_keys_.MarkStored();  // the writer stores it with the chunk, before its copies
      }
      i.target_key = target_key.key;
      ++c.copy_count;
    }
    c.items.push_back(i);
    window_bytes_ += store_key.size() + i.source_size + i.target_size;
    const bool stop = progress_.cancel.load();
    if (stop || window_bytes_ >= tuning_.window_bytes ||
        window_records_ >= tuning_.window_records) {
      RETURN_IF_ERROR(EndWindow());
      if (stop) return Interrupted();
    } else if (c.items.size() >= tuning_.chunk_records || c.arena.size() >= kChunkBytes) {
      RETURN_IF_ERROR(Dispatch());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<vault::StoredRecordView> Decoded(const vault::SiteStore& site,
                                                  std::string_view subject, std::string_view key,
                                                  std::string_view encoded) {
    absl::StatusOr<vault::StoredRecordView> record = vault::DecodeStoredRecordView(encoded);
    if (!record.ok()) {
      return absl::DataLossError(
          fmt::format("site '{}': record '{}' of '{}' is malformed", site.site().id, key, subject));
    }
    return record;
  }

  // Hands the chunk being gathered to a worker; retires the oldest when enough are under way.
  absl::Status Dispatch() {
    if (chunk_ == nullptr || chunk_->items.empty()) return absl::OkStatus();
    Chunk* c = chunk_.get();
    Worker& worker = *workers_[dispatched_++ % workers_.size()];
    std::future<absl::Status> done =
        worker.Submit([this, c] { return Process(from_.site().id, to_.site().id, *c); });
    in_flight_.push_back(InFlight{std::move(chunk_), std::move(done)});
    if (in_flight_.size() > 2 * workers_.size()) RETURN_IF_ERROR(Retire());
    return absl::OkStatus();
  }

  // Waits for the oldest chunk under way and has the writer stream its copies into the
  // window's bulk load.
  absl::Status Retire() {
    InFlight f = std::move(in_flight_.front());
    in_flight_.pop_front();
    RETURN_IF_ERROR(f.done.get());
    Chunk* c = f.chunk.get();
    if (c->copy_count > 0) loads_.push_back(writer_.Submit([this, c] { return Load(*c); }));
    window_.push_back(std::move(f.chunk));
    return absl::OkStatus();
  }

  // On the writer: the chunk's copies, in key order, into the bulk load, which is committed
  // every tuning_.file_bytes so that little is left to commit when the window ends.
  absl::Status Load(Chunk& c) {
    RETURN_IF_ERROR(writer_status_);
    for (MadeKey& m : c.made) file_keys_.push_back(std::move(m));
    c.made.clear();
    if (load_ == nullptr) {
      absl::StatusOr<std::unique_ptr<store::BulkLoad>> load = to_.kv().StartBulkLoad();
      if (!load.ok()) return writer_status_ = load.status();
      load_ = *std::move(load);
    }
    for (const Item& i : c.items) {
      if (i.present) continue;
      writer_status_ = load_->Put(c.StoreKey(i), c.Copy(i));
      RETURN_IF_ERROR(writer_status_);
      load_bytes_ += i.source_size;
    }
    if (load_bytes_ >= tuning_.file_bytes) return CommitFile();
    return absl::OkStatus();
  }

  // On the writer: the data keys made for what was loaded, then the load, made durable.
  absl::Status CommitFile() {
    RETURN_IF_ERROR(writer_status_);
    if (!file_keys_.empty()) {
      store::WriteBatch keys;
      for (const MadeKey& m : file_keys_) {
        keys.Put(vault::DataKeyStoreKey(m.subject, m.cls),
                 AsChars(keys::EncodeWrappedDataKey(m.wrapped)));
      }
      writer_status_ = to_.kv().Write(keys);
      RETURN_IF_ERROR(writer_status_);
      for (MadeKey& m : file_keys_) window_keys_.push_back(std::move(m));
      file_keys_.clear();
    }
    if (load_ == nullptr) return absl::OkStatus();
    writer_status_ = load_->Commit();
    load_.reset();
    load_bytes_ = 0;
    return writer_status_;
  }

  // Makes the window's copies durable (its new data keys first) and lets live writes in; the
  // verifier then reads the copies back and adds the window's leaves to both roots, in order,
  // while the next window is read.
  absl::Status EndWindow() {
    RETURN_IF_ERROR(Dispatch());
    while (!in_flight_.empty()) RETURN_IF_ERROR(Retire());
    std::future<absl::Status> committed = writer_.Submit([this] { return CommitFile(); });
    absl::Status status = absl::OkStatus();
    for (std::future<absl::Status>& load : loads_) {
      absl::Status s = load.get();
      if (status.ok()) status = std::move(s);
    }
    loads_.clear();
    absl::Status s = committed.get();  // after the loads: Commit ran after them
    if (status.ok()) status = std::move(s);
    RETURN_IF_ERROR(status);
    locks_.clear();
    there_.Reset();  // the target may change once unlocked
    auto made = std::make_shared<std::vector<MadeKey>>(std::move(window_keys_));
    window_keys_.clear();  // the writer is idle: it did all it was given
    window_records_ = 0;
    window_bytes_ = 0;
    if (source_keys_.size() + target_keys_.size() > kMaxHeldKeys) {
      source_keys_.Forget();  // nothing holds them: every chunk is processed
      target_keys_.Forget();
    }
    RETURN_IF_ERROR(Verified());  // at most one window waits to be verified
    verified_ =
        verifier_.Submit([this, made, window = std::make_shared<Window>(std::move(window_))] {
          RETURN_IF_ERROR(CheckMadeKeys(*made));
          // A few megabytes at a time, each group's chunks then free to gather the next
          // window into: fewer fresh buffers, whose pages cost a fault each.
          for (size_t from = 0, to = 0; from < window->size(); from = to) {
            size_t bytes = 0;
            while (to < window->size() && (to == from || bytes < tuning_.verify_bytes)) {
              bytes += (*window)[to++]->arena.size();
            }
            const std::span<std::unique_ptr<Chunk>> group(window->data() + from, to - from);
            RETURN_IF_ERROR(ReadBack(group));
            AddLeaves(group);
            std::lock_guard lock(spare_mu_);
            for (std::unique_ptr<Chunk>& c : group) spare_.push_back(std::move(c));
          }
          return absl::OkStatus();
        });
    window_.clear();
    return absl::OkStatus();
  }

  // A chunk to gather into: one verified before, with the memory it grew (fresh memory costs a
  // page fault per page), or a new one.
  std::unique_ptr<Chunk> SpareChunk() {
    std::unique_ptr<Chunk> c;
    {
      std::lock_guard lock(spare_mu_);
      if (!spare_.empty()) {
        c = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    if (c == nullptr) return std::make_unique<Chunk>();
    c->arena.clear();
    c->items.clear();
    c->made.clear();
    c->copy_count = 0;
    return c;
  }

  // Waits for the window being verified.
  absl::Status Verified() { return verified_.valid() ? verified_.get() : absl::OkStatus(); }

  // On the verifier: the window's leaves, in order, into both roots. While every target leaf
  // equals its source leaf the two roots are one computation, made once; the target's takes
  // the source's state at the first leaf where they part.
  void AddLeaves(std::span<const std::unique_ptr<Chunk>> chunks) {
    for (const std::unique_ptr<Chunk>& c : chunks) {
      for (const Item& i : c->items) {
        if (same_roots_ && !(i.target_ok && i.target_leaf == i.source_leaf)) {
          target_root_ = source_root_;
          same_roots_ = false;
        }
        source_root_.AddLeafHash(i.source_leaf);
        if (!i.target_ok) {
          ++missing_;
        } else if (!same_roots_) {
          target_root_.AddLeafHash(i.target_leaf);
        }
        result_.bytes += i.plaintext_size;
      }
      result_.records += c->items.size();
      result_.copied += c->copy_count;
    }
  }

  // The target's stored data keys that this window made unwrap, through the custodian, to the
  // keys its copies were sealed under.
  absl::Status CheckMadeKeys(const std::vector<MadeKey>& made) {
    for (const MadeKey& m : made) {
      ASSIGN_OR_RETURN(std::optional<keys::WrappedDataKey> stored,
                       to_.GetDataKey(m.subject, m.cls));
      absl::Status same = absl::OkStatus();
      if (!stored.has_value()) {
        same = absl::DataLossError("it is missing");
      } else {
        ASSIGN_OR_RETURN(crypto::SecretBytes key,
                         UnwrapNow(vault_.custodian(), TargetWhy(m), *stored));
        if (!crypto::ConstantTimeEquals(key.view(), m.key.view())) {
          same = absl::DataLossError("it unwraps to another key");
        }
      }
      if (!same.ok()) {
        return absl::DataLossError(fmt::format(
            "the {} data key of subject '{}' written to site '{}' does not read back: {}",
            vault::ClassificationName(m.cls), m.subject, to_.site().id,
            std::string(same.message())));
      }
    }
    return absl::OkStatus();
  }

  // On the verifier: reads the window's copies back from the target, in key order, and clears
  // target_ok for each one that is missing or differs from what was written.
  absl::Status ReadBack(std::span<const std::unique_ptr<Chunk>> chunks) {
    std::vector<std::pair<const Chunk*, Item*>> copies;
    for (const std::unique_ptr<Chunk>& c : chunks) {
      for (Item& i : c->items) {
        if (!i.present) copies.emplace_back(c.get(), &i);
      }
    }
    if (copies.empty()) return absl::OkStatus();
    auto key_of = [&](size_t n) { return copies[n].first->StoreKey(*copies[n].second); };
    const std::string last(key_of(copies.size() - 1));
    size_t next = 0;
    RETURN_IF_ERROR(
        to_.kv().ScanOnce("r/", key_of(0), [&](std::string_view key, std::string_view value) {
          while (next < copies.size() && key_of(next) < key) {
            copies[next++].second->target_ok = false;  // not there
          }
          if (next < copies.size() && key_of(next) == key) {
            if (value != copies[next].first->Copy(*copies[next].second)) {
              copies[next].second->target_ok = false;
            }
            ++next;
          }
          return next < copies.size() && key < last;
        }));
    for (; next < copies.size(); ++next) copies[next].second->target_ok = false;
    return absl::OkStatus();
  }

  vault::Justification TargetWhy(const MadeKey& m) const {
    vault::Justification why = why_;
    why.site = to_.site().id;
    why.kind = vault::Resource::Kind::kSubject;
    why.subject = m.subject;
    why.classification = m.cls;
    return why;
  }

  const MigrationTuning tuning_;
  vault::Vault& vault_;
  const vault::Justification why_;
  vault::SiteStore& from_;
  vault::SiteStore& to_;
  const std::string jurisdiction_;
  Progress& progress_;
  MigrationResult& result_;
  SiteKeys source_keys_, target_keys_;
  RecordLookahead there_;
  std::vector<std::unique_ptr<Worker>> workers_;
  size_t dispatched_ = 0;

  std::vector<std::unique_lock<std::mutex>> locks_;  // held while a window is open
  std::unique_ptr<Chunk> chunk_;                     // being gathered
  std::deque<InFlight> in_flight_;                   // being processed, in order
  Window window_;                                    // processed, in order, not yet durable
  // The writer's: its load, the data keys made for it, those stored in this window, and the
  // first error it met (it does nothing after one).
  std::unique_ptr<store::BulkLoad> load_;
  size_t load_bytes_ = 0;
  std::vector<MadeKey> file_keys_, window_keys_;
  absl::Status writer_status_;
  std::vector<std::future<absl::Status>> loads_;
  size_t window_records_ = 0, window_bytes_ = 0;
  MerkleRoot source_root_, target_root_;  // the verifier's, as are missing_ and result_'s counts
  bool same_roots_ = true;                // every target leaf so far equals its source leaf
  uint64_t missing_ = 0;
  std::future<absl::Status> verified_;
  std::mutex spare_mu_;
  std::vector<std::unique_ptr<Chunk>> spare_;  // verified, to gather into again
  // Last, so that they finish their tasks before what the tasks use goes.
  Worker writer_;    // loads copies and commits windows, in order
  Worker verifier_;  // reads windows back and adds their leaves, in order
};

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
                                        const MigrationRequest& request, Progress& progress,
                                        const MigrationTuning& tuning) {
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
  // The records to go, for the progress bar. A legacy site of this jurisdiction alone holds
  // only its records: the store's statistics estimate them. Otherwise they are counted by a
  // second scan beside the pass (about a tenth of the pass's CPU).
  progress.Phase("migrating", 0, 0);
  std::future<void> counted;
  absl::StatusOr<store::KvStore::Estimate> estimate =
      absl::FailedPreconditionError("the site holds other jurisdictions' data");
  if (from->site().legacy_of == std::vector<std::string>{j}) {
    estimate = from->kv().EstimatePrefix("r/");  // its records
  }
  if (estimate.ok()) {
    progress.totals_estimated.store(true);
    progress.records_total.store(estimate->keys);
    progress.bytes_total.store(estimate->bytes);
  } else {
    counted = std::async(std::launch::async, [&] {
      uint64_t bytes = 0;
      const uint64_t total = CountRecords(vault, *from, j, bytes);
      progress.records_total.store(total);
      progress.bytes_total.store(bytes);
    });
  }
  absl::Status passed = Pass(vault, *from, *to, j, why, progress, result, tuning).Run();
  if (counted.valid()) counted.wait();
  RETURN_IF_ERROR(passed);
  progress.records_total.store(progress.records.load());  // exact now
  progress.bytes_total.store(progress.bytes.load());
  progress.totals_estimated.store(false);

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
