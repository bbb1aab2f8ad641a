#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "fmt/format.h"
#include "store/postgres/pg_batch.h"
#include "store/postgres/pg_conninfo.h"
#include "store/postgres/pg_error.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_scan.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_statements.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::store {
namespace {

using postgres::BatchChunk;
using postgres::EncodedBatch;
using postgres::PgConnection;
using postgres::PgPool;
using postgres::PgResult;
using postgres::ScanRange;
using postgres::StoreStatements;

constexpr size_t kMaxStoreNameBytes = 48;
// A transaction that keeps failing on serialization or deadlock is given up after this many
// attempts (then Aborted).
// Serialization failures of conditional writes include false positives (PostgreSQL's predicate
// locks on an index cover whole pages): concurrent creates of nearby keys collide and must be
// retried, with a growing random back-off, well past the first few attempts.
constexpr int kMaxTransactionAttempts = 30;
// Rows of a scan's first page, read without a transaction: most scans (one subject's records)
// end within it, in one round trip. Pages after it hold about 4 MiB (pg_scan.cc), once the
// first has shown how large the rows are.
constexpr int kFirstPageRows = 64;
// Rows of the first page of a snapshot's scan (later pages adapt to the rows' size).
constexpr int kPageRows = 64;

constexpr std::string_view kBeginSerializable = "BEGIN ISOLATION LEVEL SERIALIZABLE";
constexpr std::string_view kBeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// For Run: whether an operation may run again after its connection broke.
constexpr auto kRepeatable = [] { return true; };
constexpr auto kNotRepeatable = [] { return false; };

absl::Status CheckKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("store: empty key");
  return absl::OkStatus();
}

// Waits a random while before attempt `attempt` (2, 3, ...) of a transaction, growing with
// each: writers that collided once should not collide again in step.
void BackOff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  const int max_us = 500 << std::min(attempt, 6);
  std::this_thread::sleep_for(
      std::chrono::microseconds(std::uniform_int_distribution<int>(max_us / 4, max_us)(rng)));
}

// Runs `attempt` until it succeeds or fails otherwise than by a serialization failure or a
// deadlock (40001, 40P01), at most kMaxTransactionAttempts times; rolls back between attempts.
template <typename Attempt>
absl::Status RetryTransaction(PgConnection& connection, std::string_view what, Attempt attempt) {
  for (int n = 1;; ++n) {
    absl::Status s = attempt();
    if (!postgres::IsRetryableTransactionError(s)) return s;
    RETURN_IF_ERROR(connection.RollbackIfInTransaction());
    if (n == kMaxTransactionAttempts) {
      // Not Aborted: that means an expectation failed. This is contention; nothing was written.
      return absl::UnavailableError(
          ToAbsl(fmt::format("postgres {}: too much contention, gave up after {} attempts "
                             "(nothing was written; retry): {}",
                             what, n, std::string(s.message()))));
    }
    BackOff(n + 1);
  }
}

absl::StatusOr<std::string> GetOn(PgConnection& connection, const StoreStatements& statements,
                                  std::string_view key) {
  RETURN_IF_ERROR(CheckKey(key));
  const std::string_view params[] = {key};
  ASSIGN_OR_RETURN(PgResult result, connection.Exec(statements.get, params));
  if (result.rows() == 0) return absl::NotFoundError("postgres get: key not found");
  return std::string(result.Get(0, 0));
}

// The three parameters of the write statement (and of write_if after its first two).
struct ChunkParams {
  explicit ChunkParams(BatchChunk& chunk)
      : values{chunk.delete_keys.Encoded(), chunk.put_keys.Encoded(), chunk.put_values.Encoded()} {}
  std::string_view values[3];
};

// A snapshot: a REPEATABLE READ READ ONLY transaction kept open on a connection of its own for
// the snapshot's life. Its methods take turns on that connection; a scan's callback runs
// between pages, without the turn, so it may use the snapshot too.
class PostgresSnapshot : public Snapshot {
 public:
  PostgresSnapshot(PgPool::Lease lease, const StoreStatements& statements)
      : lease_(std::move(lease)), statements_(statements) {}

  absl::StatusOr<std::string> Get(std::string_view key) const override {
    std::lock_guard lock(mu_);
    return GetOn(*lease_, statements_, key);
  }

  absl::Status Scan(std::string_view prefix, const ScanFn& fn) const override {
    ScanRange range(prefix, prefix, kPageRows);
    while (!range.empty()) {
      std::unique_lock lock(mu_);
      ASSIGN_OR_RETURN(PgResult page, range.ReadPage(*lease_, statements_));
      lock.unlock();
      if (!range.Consume(page, fn)) break;
    }
    return absl::OkStatus();
  }

 private:
  mutable std::mutex mu_;
  PgPool::Lease lease_;  // used under mu_
  const StoreStatements& statements_;
};

class PostgresStore : public KvStore {
 public:
  PostgresStore(std::string_view table, std::unique_ptr<PgPool> pool, size_t chunk_bytes)
      : statements_(table), pool_(std::move(pool)), chunk_bytes_(chunk_bytes) {}

  absl::StatusOr<std::string> Get(std::string_view key) const override {
    RETURN_IF_ERROR(CheckKey(key));
    std::optional<absl::StatusOr<std::string>> value;
    absl::Status s = Run(kRepeatable, [&](PgConnection& c) {
      value = GetOn(c, statements_, key);
      return absl::IsNotFound(value->status()) ? absl::OkStatus() : value->status();
    });
    if (!s.ok()) return s;
    return *std::move(value);
  }

  absl::Status Put(std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(CheckKey(key));
    const std::string_view params[] = {key, value};
    return Run(kRepeatable, [&](PgConnection& c) {
      return RetryTransaction(c, "put", [&] { return c.Exec(statements_.put, params).status(); });
    });
  }

  absl::Status Delete(std::string_view key) override {
    RETURN_IF_ERROR(CheckKey(key));
    const std::string_view params[] = {key};
    return Run(kRepeatable, [&](PgConnection& c) {
      return RetryTransaction(c, "delete",
                              [&] { return c.Exec(statements_.erase, params).status(); });
    });
  }

  absl::Status Write(const WriteBatch& batch) override {
    ASSIGN_OR_RETURN(EncodedBatch encoded, postgres::EncodeBatch(batch, chunk_bytes_));
    if (batch.expectations().empty()) {
      if (batch.empty()) return absl::OkStatus();
      // Blind writes: repeating one after a lost connection leaves the same state.
      return Run(kRepeatable, [&](PgConnection& c) { return WriteUnconditional(c, encoded); });
    }
    // A conditional write is not repeated on a new connection: the lost one may have committed
    // it, and the repeat would then report its own success as a conflict. The caller is told.
    return Run(kNotRepeatable, [&](PgConnection& c) {
      absl::Status s = WriteConditional(c, encoded);
      if (!absl::IsUnavailable(s) || c.ok()) return s;
      return absl::UnavailableError(ToAbsl(
          fmt::format("{} (the connection was lost: the write may or may not have been applied)",
                      std::string(s.message()))));
    });
  }

  absl::Status Scan(std::string_view prefix, const ScanFn& fn) const override {
    return ScanFrom(prefix, prefix, fn);
  }

  absl::Status ScanFrom(std::string_view prefix, std::string_view start,
                        const ScanFn& fn) const override {
    ScanRange first(prefix, start, kFirstPageRows);
    if (first.empty()) return absl::OkStatus();
    // One page without a transaction (a statement sees one snapshot by itself). When it is
    // the whole range, the connection goes back to the pool before `fn` runs.
    std::optional<PgResult> page;
    RETURN_IF_ERROR(Run(kRepeatable, [&](PgConnection& c) {
      ASSIGN_OR_RETURN(page, first.ReadPage(c, statements_));
      return absl::OkStatus();
    }));
    if (page->rows() < kFirstPageRows) {
      first.Consume(*page, fn);
      return absl::OkStatus();
    }
    const int page_rows = postgres::PageRowsAfter(*page);
    page.reset();
    // More than a page: read the range again, from its start, inside one REPEATABLE READ
    // transaction, so that every page comes from the same snapshot.
    bool delivered = false;
    return Run([&] { return !delivered; },
               [&](PgConnection& c) -> absl::Status {
                 ScanRange range(prefix, start, page_rows);
                 std::string limit;
                 const PgConnection::Step steps[] = {{.sql = kBeginSnapshot},
                                                     range.PageStep(statements_, limit)};
                 ASSIGN_OR_RETURN(std::vector<PgResult> results, c.Pipeline(steps));
                 PgResult current = std::move(results[1]);
                 while (true) {
                   delivered = true;
                   if (!range.Consume(current, fn)) break;
                   ASSIGN_OR_RETURN(current, range.ReadPage(c, statements_));
                 }
                 return c.RollbackIfInTransaction();  // read only: nothing to commit
               });
  }

  absl::StatusOr<std::unique_ptr<Snapshot>> GetSnapshot() const override {
    // A transaction's snapshot is taken by its first statement, not by BEGIN.
    const PgConnection::Step steps[] = {{.sql = kBeginSnapshot}, {.sql = "SELECT 1"}};
    for (int attempt = 0;; ++attempt) {
      ASSIGN_OR_RETURN(PgPool::Lease lease,
                       attempt == 0 ? pool_->Acquire() : pool_->AcquireFresh());
      absl::Status s = lease->Pipeline(steps).status();
      if (s.ok()) return std::make_unique<PostgresSnapshot>(std::move(lease), statements_);
      if (attempt > 0 || lease.fresh() || lease->ok()) return s;
    }
  }

 private:
  // Runs `op` on a connection of the pool. When the connection turns out to be broken and had
  // sat idle in the pool (the server may have restarted since it was last used), and
  // `repeatable()` says `op` may run again, runs it once more on a new connection.
  template <typename Repeatable, typename Op>
  absl::Status Run(Repeatable repeatable, Op op) const {
    for (int attempt = 0;; ++attempt) {
      ASSIGN_OR_RETURN(PgPool::Lease lease,
                       attempt == 0 ? pool_->Acquire() : pool_->AcquireFresh());
      absl::Status s = op(*lease);
      if (s.ok() || attempt > 0 || lease.fresh() || lease->ok() || !repeatable()) return s;
    }
  }

  absl::Status WriteUnconditional(PgConnection& c, EncodedBatch& encoded) {
    return RetryTransaction(c, "write", [&]() -> absl::Status {
      if (encoded.chunks.size() == 1) {  // one statement: atomic by itself
        ChunkParams params(encoded.chunks[0]);
        return c.Exec(statements_.write, params.values).status();
      }
      std::vector<ChunkParams> params;
      params.reserve(encoded.chunks.size());
      std::vector<PgConnection::Step> steps = {{.sql = "BEGIN"}};
      for (BatchChunk& chunk : encoded.chunks) {
        params.emplace_back(chunk);
        steps.push_back({.statement = &statements_.write, .params = params.back().values});
      }
      steps.push_back({.sql = "COMMIT"});
      return c.Pipeline(steps).status();
    });
  }

  // Conditional writes run in a SERIALIZABLE transaction, retried on serialization failures.
  //
  // Why: the expectations must hold at commit, checked atomically with the writes, against
  // other processes too. Row locks (SELECT ... FOR UPDATE) cover the expected keys that exist,
  // but a key expected absent has no row to lock: two writers could both see it absent and
  // both write. Under SERIALIZABLE, PostgreSQL's predicate locks cover what the check read,
  // absent keys included (the index range where the key would be), and a transaction whose
  // reads a concurrent one invalidated fails with 40001. The retry then runs the check again
  // on fresh data, and reports the conflict (Aborted) if the expectation no longer holds.
  //
  // Plain writes (Put, Delete, unconditional Write) run at READ COMMITTED and are blind: they
  // read nothing. Against them SERIALIZABLE still suffices: a conditional write that updates,
  // deletes or inserts a row that a plain write changed after its snapshot fails with 40001
  // (then retries), and one that only read such a row is ordered before the plain write, which
  // read nothing it could have changed. Advisory locks would have needed every plain write to
  // take them too; INSERT ... ON CONFLICT DO NOTHING tricks cover creation only.
  //
  // Every connection runs with enable_seqscan off so that the check reads through the primary
  // key's index and its predicate locks stay that narrow (a sequential scan locks the whole
  // table, and every concurrent conditional write would conflict with every other).
  absl::Status WriteConditional(PgConnection& c, EncodedBatch& encoded) {
    return RetryTransaction(c, "conditional write", [&]() -> absl::Status {
      ChunkParams first(encoded.chunks[0]);
      const std::string_view params[] = {encoded.expected_keys.Encoded(),
                                         encoded.expected_values.Encoded(), first.values[0],
                                         first.values[1], first.values[2]};
      const bool one_statement = encoded.chunks.size() == 1;
      std::vector<PgConnection::Step> steps = {
          {.sql = kBeginSerializable}, {.statement = &statements_.write_if, .params = params}};
      if (one_statement) steps.push_back({.sql = "COMMIT"});
      ASSIGN_OR_RETURN(std::vector<PgResult> results, c.Pipeline(steps));
      if (results[1].rows() > 0) {
        RETURN_IF_ERROR(c.RollbackIfInTransaction());
        return ExpectationFailedError(results[1].Get(0, 0));
      }
      if (one_statement) return absl::OkStatus();
      // The expectations held: the rest of a batch too large for one statement.
      std::vector<ChunkParams> rest;
      rest.reserve(encoded.chunks.size());
      steps.clear();
      for (size_t i = 1; i < encoded.chunks.size(); ++i) {
        rest.emplace_back(encoded.chunks[i]);
        steps.push_back({.statement = &statements_.write, .params = rest.back().values});
      }
      steps.push_back({.sql = "COMMIT"});
      return c.Pipeline(steps).status();
    });
  }

  const StoreStatements statements_;
  std::unique_ptr<PgPool> pool_;
  const size_t chunk_bytes_;  // PostgresOptions::max_statement_bytes
};

absl::Status CheckStoreName(std::string_view name) {
  if (IsValidPostgresStoreName(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(ToAbsl(fmt::format(
      "postgres: store name '{}' is not 1 to {} of [a-z0-9_]", name, kMaxStoreNameBytes)));
}

}  // namespace

bool IsValidPostgresStoreName(std::string_view name) {
  if (name.empty() || name.size() > kMaxStoreNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string PostgresStoreNameFor(std::string_view id) {
  if (IsValidPostgresStoreName(id)) return std::string(id);
  uint64_t hash = 0xcbf29ce484222325;  // FNV-1a, 64 bits: stable everywhere
  for (char c : id) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3;
  std::string name;
  for (char c : id.substr(0, kMaxStoreNameBytes - 9)) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool valid = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    name.push_back(valid ? lower : '_');
  }
  return fmt::format("{}_{:08x}", name, static_cast<uint32_t>(hash ^ (hash >> 32)));
}

absl::StatusOr<std::unique_ptr<KvStore>> OpenPostgresStore(std::string_view conninfo,
                                                           std::string_view name,
                                                           const PostgresOptions& options) {
  RETURN_IF_ERROR(CheckStoreName(name));
  if (options.pool_size == 0) {
    return absl::InvalidArgumentError("postgres: the pool needs at least one connection");
  }
  ASSIGN_OR_RETURN(postgres::Conninfo parsed, postgres::Conninfo::Parse(conninfo));
  PgPool::Options pool_options;
  pool_options.size = options.pool_size;
  pool_options.acquire_timeout = options.acquire_timeout;
  pool_options.connection.connect_timeout = options.connect_timeout;
  // Each connection's session: the statement timeout, and no sequential scans, so that a
  // conditional write's predicate locks cover only the keys it read (see WriteConditional).
  pool_options.connection.setup_sql = "SET enable_seqscan = off";
  if (options.statement_timeout.count() > 0) {
    pool_options.connection.setup_sql +=
        fmt::format("; SET statement_timeout = {}", options.statement_timeout.count());
  }
  auto pool = std::make_unique<PgPool>(std::move(parsed), pool_options);
  {
    ASSIGN_OR_RETURN(PgPool::Lease lease, pool->Acquire());
    RETURN_IF_ERROR(postgres::MigrateSchema(*lease, name));
  }
  return std::make_unique<PostgresStore>(postgres::StoreTableName(name), std::move(pool),
                                         options.max_statement_bytes);
}

absl::Status DropPostgresStore(std::string_view conninfo, std::string_view name) {
  RETURN_IF_ERROR(CheckStoreName(name));
  ASSIGN_OR_RETURN(postgres::Conninfo parsed, postgres::Conninfo::Parse(conninfo));
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> connection,
                   PgConnection::Connect(parsed, PgConnection::Options()));
  return postgres::DropStoreSchema(*connection, name);
}

}  // namespace domicile::store
