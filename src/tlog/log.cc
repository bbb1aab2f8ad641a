#include "tlog/log.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "tlog/appender.h"
#include "tlog/entry_store.h"
#include "tlog/integrator.h"
#include "tlog/log_layout.h"
#include "tlog/tile_nodes.h"
#include "tlog/tile_path.h"
#include "tlog/tree_reader.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

absl::Status CheckOptions(const LogOptions& options, const CheckpointSigner& signer,
                          const Clock* clock) {
  if (options.origin.empty() || options.origin.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError("tlog: the origin must be one non-empty line");
  }
  if (options.max_pending == 0 || options.max_batch == 0) {
    return absl::InvalidArgumentError("tlog: max_pending and max_batch must be positive");
  }
  if (!signer || clock == nullptr) {
    return absl::InvalidArgumentError("tlog: a checkpoint signer and a clock are required");
  }
  return absl::OkStatus();
}

// Marks a new store with the layout version; refuses a store of another version.
absl::Status CheckFormat(store::KvStore& store) {
  absl::StatusOr<std::string> format = store.Get(layout::kFormatKey);
  if (format.ok()) {
    if (*format != layout::kFormatVersion) {
      return absl::FailedPreconditionError(
          fmt::format("tlog: the store holds log layout version '{}', this build reads '{}'",
                      *format, layout::kFormatVersion));
    }
    return absl::OkStatus();
  }
  if (!absl::IsNotFound(format.status())) return format.status();
  absl::StatusOr<std::string> durable = store.Get(layout::kDurableSizeKey);
  if (durable.ok()) return absl::DataLossError("tlog: the store has entries but no layout version");
  if (!absl::IsNotFound(durable.status())) return durable.status();
  return store.Put(layout::kFormatKey, layout::kFormatVersion);
}

// How many of `level`'s hashes (or, for entries, entries) the tree of `size` leaves has in tile
// `index`: 0 to 256.
uint64_t TileWidthAt(uint64_t size, int level, uint64_t index) {
  const uint64_t nodes = 8 * level >= 64 ? 0 : size >> (8 * level);
  if (index >= nodes / kTileWidth + 1) return 0;
  return std::min(kTileWidth, nodes - index * kTileWidth);
}

// NotFound unless a tile of `available` hashes serves width `partial_width` (0 = full).
absl::StatusOr<uint64_t> ServedWidth(uint64_t available, uint8_t partial_width,
                                     std::string_view what) {
  const uint64_t wanted = partial_width == 0 ? kTileWidth : partial_width;
  if (available < wanted) {
    return absl::NotFoundError(
        fmt::format("tlog: {} of width {} is not in the integrated tree", what, wanted));
  }
  return wanted;
}

TreeReader MakeTreeReader(const store::KvStore& store) {
  return TreeReader(
      [&store](int level, uint64_t index) -> absl::StatusOr<std::shared_ptr<const std::string>> {
        ASSIGN_OR_RETURN(std::string value, store.Get(layout::TileKey(level, index)));
        return std::make_shared<const std::string>(std::move(value));
      });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Log>> Log::Open(std::unique_ptr<store::KvStore> store,
                                               LogOptions options, CheckpointSigner signer,
                                               const Clock* clock) {
  RETURN_IF_ERROR(CheckOptions(options, signer, clock));
  RETURN_IF_ERROR(CheckFormat(*store));
  ASSIGN_OR_RETURN(uint64_t durable, layout::ReadSize(*store, layout::kDurableSizeKey));
  ASSIGN_OR_RETURN(std::unique_ptr<Integrator> integrator,
                   Integrator::Open(store.get(), durable, options, std::move(signer), clock));
  std::unique_ptr<Log> log(new Log(std::move(store), std::move(integrator)));
  Integrator* const sink = log->integrator_.get();
  log->appender_ = std::make_unique<Appender>(
      log->store_.get(), durable, options.max_pending, options.max_batch,
      [sink](uint64_t first, std::vector<Hash> leaves) { sink->Add(first, std::move(leaves)); });
  sink->Start();
  return log;
}

Log::Log(std::unique_ptr<store::KvStore> store, std::unique_ptr<Integrator> integrator)
    : store_(std::move(store)), integrator_(std::move(integrator)) {}

Log::~Log() { Close(); }

void Log::Close() {
  // The appender first: what it commits on the way out reaches the integrator's last round.
  appender_->Close();
  integrator_->Stop();
}

void Log::Append(Bytes entry, AppendCallback done) {
  appender_->Append(std::move(entry), std::move(done));
}

absl::StatusOr<uint64_t> Log::AppendAndWait(Bytes entry) {
  // An atomic wait (which spins briefly before sleeping) wakes a waiting appender faster than a
  // condition variable does when dozens of threads wait on one group (see docs/log.md).
  // Shared with the callback, which still touches the flag after the waiter may have returned.
  struct Outcome {
    absl::StatusOr<uint64_t> index = absl::UnknownError("tlog: append outcome not set");
    std::atomic<bool> done{false};
  };
  auto outcome = std::make_shared<Outcome>();
  Append(std::move(entry), [outcome](absl::StatusOr<uint64_t> index) {
    outcome->index = std::move(index);
    outcome->done.store(true, std::memory_order_release);
    outcome->done.notify_one();
  });
  outcome->done.wait(false, std::memory_order_acquire);
  return std::move(outcome->index);
}

uint64_t Log::DurableSize() const { return appender_->size(); }

uint64_t Log::IntegratedSize() const { return integrator_->size(); }

absl::StatusOr<std::string> Log::LatestCheckpoint() const {
  return integrator_->LatestCheckpoint();
}

absl::Status Log::Flush() { return integrator_->Flush(); }

absl::StatusOr<Bytes> Log::ReadTile(int level, uint64_t index, uint8_t partial_width) const {
  if (level < 0 || level > kMaxTileLevel) {
    return absl::InvalidArgumentError(fmt::format("tlog: no tile level {}", level));
  }
  ASSIGN_OR_RETURN(uint64_t width,
                   ServedWidth(TileWidthAt(IntegratedSize(), level, index), partial_width,
                               TilePath(level, index, partial_width)));
  absl::StatusOr<std::string> value = store_->Get(layout::TileKey(level, index));
  if (absl::IsNotFound(value.status())) {
    return absl::DataLossError(fmt::format("tlog: tile {}/{} is missing", level, index));
  }
  if (!value.ok()) return value.status();
  ASSIGN_OR_RETURN(StoredTile tile, StoredTile::Parse(*value));
  if (tile.width() < width) {
    return absl::DataLossError(fmt::format("tlog: tile {}/{} is short", level, index));
  }
  return tile.HashTile(width);
}

absl::StatusOr<Bytes> Log::ReadEntryBundle(uint64_t index, uint8_t partial_width) const {
  ASSIGN_OR_RETURN(uint64_t width, ServedWidth(TileWidthAt(IntegratedSize(), 0, index),
                                               partial_width, EntriesPath(index, partial_width)));
  absl::StatusOr<Bytes> bundle = tlog::ReadEntryBundle(*store_, index, width);
  if (absl::IsNotFound(bundle.status())) {
    return absl::DataLossError(fmt::format("tlog: entry bundle {} is short", index));
  }
  return bundle;
}

absl::StatusOr<Bytes> Log::ReadEntry(uint64_t index) const {
  if (index >= DurableSize()) {
    return absl::NotFoundError(
        fmt::format("tlog: no entry {} (the log has {})", index, DurableSize()));
  }
  ASSIGN_OR_RETURN(std::vector<Bytes> entries, ReadEntries(*store_, index, index + 1));
  return std::move(entries[0]);
}

absl::Status Log::CheckIntegratedSize(uint64_t size) const {
  const uint64_t integrated = IntegratedSize();
  if (size > integrated) {
    return absl::InvalidArgumentError(fmt::format(
        "tlog: tree size {} is beyond the integrated tree (size {})", size, integrated));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Hash>> Log::InclusionProof(uint64_t index, uint64_t size) const {
  RETURN_IF_ERROR(CheckIntegratedSize(size));
  return MakeTreeReader(*store_).InclusionProof(index, size);
}

absl::StatusOr<std::vector<Hash>> Log::ConsistencyProof(uint64_t old_size,
                                                        uint64_t new_size) const {
  RETURN_IF_ERROR(CheckIntegratedSize(new_size));
  return MakeTreeReader(*store_).ConsistencyProof(old_size, new_size);
}

absl::StatusOr<Hash> Log::RootAt(uint64_t size) const {
  RETURN_IF_ERROR(CheckIntegratedSize(size));
  return MakeTreeReader(*store_).Root(size);
}

}  // namespace domicile::tlog
