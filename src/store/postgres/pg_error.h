// The one place where a PostgreSQL error becomes an absl::Status. libpq reports a server error
// with a SQLSTATE (five characters, its first two the class) and a failure of the connection
// itself with a message alone; callers hand both here and keep the SQLSTATE on the status (as a
// payload) so that the retry loop can tell a serialization failure from any other Aborted.
//
//   SQLSTATE                          Status             why
//   (none: libpq lost the server)     Unavailable        retry later or elsewhere
//   class 08, 57P01, 57P02, 57P03     Unavailable        connection failure, server shutting down
//   25006 (read-only transaction)     Unavailable        a standby: the primary is elsewhere
//   40001, 40P01                      Aborted            serialization failure, deadlock: retried
//   23505 (unique violation)          AlreadyExists
//   class 53 (out of resources)       ResourceExhausted  disk full, too many connections
//   57014 (query canceled)            DeadlineExceeded   statement_timeout
//   anything else                     Internal           with the SQLSTATE in the message
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace domicile::store::postgres {

// The status for a server error `sqlstate` (empty when libpq reported no SQLSTATE: a lost
// connection) with the server's `message`, in the context `what` (e.g. "get", "connect").
// The message reads "postgres <what>: <message> (SQLSTATE <sqlstate>)".
absl::Status PgError(std::string_view what, std::string_view sqlstate, std::string_view message);

// The SQLSTATE PgError attached to `status`, if any.
std::optional<std::string> SqlStateOf(const absl::Status& status);

// True for a serialization failure or a deadlock (40001, 40P01): the transaction did nothing
// and may be run again.
bool IsRetryableTransactionError(const absl::Status& status);

}  // namespace domicile::store::postgres
