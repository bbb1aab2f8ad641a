#include "store/postgres/pg_error.h"

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "util/errors.h"

namespace domicile::store::postgres {
namespace {

constexpr std::string_view kSqlStatePayloadUrl = "domicile.dev/postgres-sqlstate";

bool HasClass(std::string_view sqlstate, std::string_view cls) {
  return sqlstate.size() == 5 && sqlstate.substr(0, 2) == cls;
}

absl::StatusCode CodeFor(std::string_view sqlstate) {
  if (sqlstate.empty()) return absl::StatusCode::kUnavailable;  // libpq lost the connection
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::StatusCode::kAborted;
  if (sqlstate == "23505") return absl::StatusCode::kAlreadyExists;
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down).
  if (HasClass(sqlstate, "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03") {
    return absl::StatusCode::kUnavailable;
  }
  // A write sent to a hot standby: the primary is elsewhere (e.g. after a failover).
  if (sqlstate == "25006") return absl::StatusCode::kUnavailable;
  if (HasClass(sqlstate, "53")) return absl::StatusCode::kResourceExhausted;
  if (sqlstate == "57014") return absl::StatusCode::kDeadlineExceeded;  // statement_timeout
  return absl::StatusCode::kInternal;
}

}  // namespace

absl::Status PgError(std::string_view what, std::string_view sqlstate, std::string_view message) {
  // libpq's messages end with a newline and may span lines ("...failed: Connection
  // refused\n\tIs the server running..."): one line reads better in a log.
  std::string one_line;
  for (char c : message) {
    if (c == '\n' || c == '\t') {
      if (!one_line.empty() && one_line.back() != ' ') one_line.push_back(' ');
    } else {
      one_line.push_back(c);
    }
  }
  while (!one_line.empty() && one_line.back() == ' ') one_line.pop_back();
  message = one_line;
  const std::string text =
      sqlstate.empty() ? fmt::format("postgres {}: {}", what, message)
                       : fmt::format("postgres {}: {} (SQLSTATE {})", what, message, sqlstate);
  absl::Status status(CodeFor(sqlstate), ToAbsl(text));
  if (!sqlstate.empty())
    status.SetPayload(ToAbsl(kSqlStatePayloadUrl), absl::Cord(ToAbsl(sqlstate)));
  return status;
}

std::optional<std::string> SqlStateOf(const absl::Status& status) {
  auto payload = status.GetPayload(ToAbsl(kSqlStatePayloadUrl));
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

bool IsRetryableTransactionError(const absl::Status& status) {
  std::optional<std::string> sqlstate = SqlStateOf(status);
  return sqlstate.has_value() && (*sqlstate == "40001" || *sqlstate == "40P01");
}

}  // namespace domicile::store::postgres
