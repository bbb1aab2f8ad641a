#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <optional>
#include <utility>

#include "fmt/format.h"
#include "store/postgres/pg_error.h"
#include "util/status_macros.h"

namespace domicile::store::postgres {
namespace {

constexpr int kBinary = 1;

void ClearResult(void* result) { PQclear(static_cast<PGresult*>(result)); }

// libpq prints the server's notices (e.g. "relation already exists, skipping") on stderr by
// default; the store has nothing to say about them.
void IgnoreNotice(void*, const char*) {}

// Pointers, lengths and formats of binary parameters, as libpq takes them. A NULL pointer
// would mean SQL NULL, so an empty value points at "".
struct BoundParams {
  explicit BoundParams(std::span<const std::string_view> params) {
    values.reserve(params.size());
    lengths.reserve(params.size());
    for (std::string_view p : params) {
      values.push_back(p.data() != nullptr ? p.data() : "");
      lengths.push_back(static_cast<int>(p.size()));
    }
    formats.assign(params.size(), kBinary);
  }
  int size() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

struct PgConnection::Impl {
  PGconn* conn = nullptr;
  bool broken = false;  // set on an error that leaves the protocol state unknown
  ~Impl() { PQfinish(conn); }

  // The error libpq itself reports (no result, or a result without a SQLSTATE): the
  // connection is gone or its state unknown.
  absl::Status ConnectionError(std::string_view what) {
    if (PQstatus(conn) != CONNECTION_OK) broken = true;
    return PgError(what, "", PQerrorMessage(conn));
  }

  // Takes ownership of `result` (may be null): its rows, or its error.
  absl::StatusOr<PgResult> Check(PGresult* result, std::string_view what) {
    if (result == nullptr) return ConnectionError(what);
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(result);
    // Copied: both point into `result`.
    const char* sqlstate_field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string sqlstate = sqlstate_field != nullptr ? sqlstate_field : "";
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    // Only the primary message: the detail of e.g. a unique violation quotes the row's key.
    const std::string message = primary != nullptr ? primary : PQresultErrorMessage(result);
    PQclear(result);
    if (sqlstate.empty() && PQstatus(conn) != CONNECTION_OK) broken = true;
    return PgError(what, sqlstate, message);
  }
};

PgResult::PgResult(void* result) : result_(result, &ClearResult) {}

int PgResult::rows() const { return PQntuples(static_cast<const PGresult*>(result_.get())); }

std::string_view PgResult::Get(int row, int column) const {
  const auto* r = static_cast<const PGresult*>(result_.get());
  return std::string_view(PQgetvalue(r, row, column),
                          static_cast<size_t>(PQgetlength(r, row, column)));
}

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(static_cast<const PGresult*>(result_.get()), row, column) != 0;
}

std::string PgInt4(int32_t value) {
  const auto v = static_cast<uint32_t>(value);
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

PgConnection::PgConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgConnection::~PgConnection() = default;

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const Conninfo& conninfo,
                                                                    const Options& options) {
  // Our defaults first: what the connection string itself sets wins over them.
  const std::string timeout = std::to_string(options.connect_timeout.count());
  const char* keywords[] = {"fallback_application_name", "connect_timeout", "dbname", nullptr};
  const char* values[] = {"domicile", timeout.c_str(), conninfo.text().c_str(), nullptr};
  auto impl = std::make_unique<Impl>();
  impl->conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (impl->conn == nullptr) {
    return PgError("connect", "", "out of memory allocating a connection");
  }
  if (PQstatus(impl->conn) != CONNECTION_OK) {
    return PgError(fmt::format("connect to {}", conninfo.description()), "",
                   conninfo.Redact(PQerrorMessage(impl->conn)));
  }
  PQsetNoticeProcessor(impl->conn, &IgnoreNotice, nullptr);
  std::unique_ptr<PgConnection> connection(new PgConnection(std::move(impl)));
  if (!options.setup_sql.empty()) {
    RETURN_IF_ERROR(connection->ExecText("session setup", options.setup_sql).status());
  }
  return connection;
}

absl::Status PgConnection::Prepare(const PgStatement& statement) {
  if (prepared_.contains(statement.name)) return absl::OkStatus();
  RETURN_IF_ERROR(
      impl_
          ->Check(PQprepare(impl_->conn, statement.name.c_str(), statement.sql.c_str(), 0, nullptr),
                  fmt::format("prepare {}", statement.name))
          .status());
  prepared_.insert(statement.name);
  return absl::OkStatus();
}

absl::StatusOr<PgResult> PgConnection::Exec(const PgStatement& statement,
                                            std::span<const std::string_view> params) {
  RETURN_IF_ERROR(Prepare(statement));
  BoundParams bound(params);
  return impl_->Check(
      PQexecPrepared(impl_->conn, statement.name.c_str(), bound.size(), bound.values.data(),
                     bound.lengths.data(), bound.formats.data(), kBinary),
      statement.name);
}

absl::StatusOr<PgResult> PgConnection::ExecText(std::string_view what, std::string_view sql) {
  return impl_->Check(PQexec(impl_->conn, std::string(sql).c_str()), what);
}

absl::StatusOr<std::vector<PgResult>> PgConnection::Pipeline(std::span<const Step> steps) {
  for (const Step& step : steps) {
    if (step.statement != nullptr) RETURN_IF_ERROR(Prepare(*step.statement));
  }
  PGconn* conn = impl_->conn;
  if (PQenterPipelineMode(conn) != 1) return impl_->ConnectionError("pipeline");
  for (const Step& step : steps) {
    int sent;
    if (step.statement != nullptr) {
      BoundParams bound(step.params);
      sent =
          PQsendQueryPrepared(conn, step.statement->name.c_str(), bound.size(), bound.values.data(),
                              bound.lengths.data(), bound.formats.data(), kBinary);
    } else {
      sent = PQsendQueryParams(conn, std::string(step.sql).c_str(), 0, nullptr, nullptr, nullptr,
                               nullptr, kBinary);
    }
    if (sent != 1) {
      impl_->broken = true;  // part of the pipeline may have been sent: the state is unknown
      return impl_->ConnectionError("pipeline send");
    }
  }
  if (PQpipelineSync(conn) != 1) {
    impl_->broken = true;
    return impl_->ConnectionError("pipeline sync");
  }
  // Every step's result (or PIPELINE_ABORTED after an error), each followed by a null, then
  // the sync point. All are read, whatever happened, so that the connection stays usable.
  std::vector<PgResult> results;
  std::optional<absl::Status> error;
  for (const Step& step : steps) {
    const std::string_view what = step.statement != nullptr ? step.statement->name : step.sql;
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) {
      impl_->broken = true;
      return impl_->ConnectionError(what);
    }
    if (PQresultStatus(result) == PGRES_PIPELINE_ABORTED) {
      PQclear(result);
    } else if (absl::StatusOr<PgResult> r = impl_->Check(result, what); r.ok()) {
      results.push_back(*std::move(r));
    } else if (!error.has_value()) {
      error = r.status();
    }
    if (PGresult* end = PQgetResult(conn); end != nullptr) {  // the step's terminating null
      PQclear(end);
      impl_->broken = true;
      return PgError(what, "", "unexpected extra result in a pipeline");
    }
    if (impl_->broken) return error.value_or(impl_->ConnectionError(what));
  }
  PGresult* sync = PQgetResult(conn);
  const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || PQexitPipelineMode(conn) != 1) {
    impl_->broken = true;
    return impl_->ConnectionError("pipeline end");
  }
  if (error.has_value()) return *error;
  return results;
}

absl::Status PgConnection::RollbackIfInTransaction() {
  switch (PQtransactionStatus(impl_->conn)) {
    case PQTRANS_IDLE:
      return absl::OkStatus();
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      return ExecText("rollback", "ROLLBACK").status();
    default:  // a command in progress, or no connection: nothing sensible to send
      impl_->broken = true;
      return PgError("rollback", "", "connection in an unknown state");
  }
}

bool PgConnection::ok() const { return !impl_->broken && PQstatus(impl_->conn) == CONNECTION_OK; }

bool PgConnection::CheckIdle() {
  if (PQconsumeInput(impl_->conn) != 1) impl_->broken = true;
  return ok();
}

}  // namespace domicile::store::postgres
