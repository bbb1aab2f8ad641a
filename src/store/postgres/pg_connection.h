// PgConnection: one libpq connection, used by one thread at a time (the pool hands it out).
// It runs prepared statements with binary parameters and results (keys and values are
// arbitrary bytes), prepares each statement once per connection on first use, and runs a short
// sequence of statements in one round trip (libpq's pipeline mode): BEGIN, the work, COMMIT.
// Every error comes back as an absl::Status through PgError (pg_error.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "store/postgres/pg_conninfo.h"

namespace domicile::store::postgres {

// A statement prepared on each connection under `name` (unique among a store's statements).
// Its parameters are all sent in binary: write their types in the SQL ($1::bytea).
struct PgStatement {
  std::string name;
  std::string sql;
};

// The rows a statement returned. Values are in binary format for prepared statements (bytea:
// the raw bytes) and in text for PgConnection::ExecText.
class PgResult {
 public:
  int rows() const;
  std::string_view Get(int row, int column) const;
  bool IsNull(int row, int column) const;

 private:
  friend class PgConnection;
  explicit PgResult(void* result);
  std::unique_ptr<void, void (*)(void*)> result_;
};

// A 4-byte big-endian integer: the binary form of an int4 parameter.
std::string PgInt4(int32_t value);

class PgConnection {
 public:
  struct Options {
    std::chrono::seconds connect_timeout{10};
    // SQL run once on each new connection (session settings: "SET ...; SET ...").
    std::string setup_sql;
  };

  // Connects and applies `options`. Unavailable when the server cannot be reached or refuses
  // the connection (the message names the server as conninfo.description(), never the
  // password).
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const Conninfo& conninfo,
                                                               const Options& options);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `statement` with `params`, preparing it first if this connection has not yet.
  absl::StatusOr<PgResult> Exec(const PgStatement& statement,
                                std::span<const std::string_view> params);

  // Runs SQL text without parameters (may hold several statements; returns the last result).
  // `what` names it in errors.
  absl::StatusOr<PgResult> ExecText(std::string_view what, std::string_view sql);

  // One step of a pipeline: a prepared statement with its parameters, or (statement null) SQL
  // text without parameters such as "BEGIN ISOLATION LEVEL SERIALIZABLE".
  struct Step {
    const PgStatement* statement = nullptr;
    std::span<const std::string_view> params = {};
    std::string_view sql = {};
  };
  // Sends every step, then reads every result: one round trip. Stops at the first step that
  // fails and returns its error (the server skips the steps after it; a transaction the
  // steps opened is left aborted: RollbackIfInTransaction). A step's large result should come
  // last (nothing is read until everything is sent).
  absl::StatusOr<std::vector<PgResult>> Pipeline(std::span<const Step> steps);

  // Ends an open (or failed) transaction with ROLLBACK; OK when none is open.
  absl::Status RollbackIfInTransaction();

  // False once the connection is known broken (the server closed it, a network error): the
  // pool then discards it.
  bool ok() const;

  // Reads, without blocking, whatever the server sent while the connection sat idle in the
  // pool, and returns ok(): a server that shut down or terminated this backend has said so.
  bool CheckIdle();

 private:
  struct Impl;
  explicit PgConnection(std::unique_ptr<Impl> impl);
  absl::Status Prepare(const PgStatement& statement);

  std::unique_ptr<Impl> impl_;
  std::unordered_set<std::string> prepared_;
};

}  // namespace domicile::store::postgres
