// The single place where OpenSSL's thread-local error queue becomes an absl::Status. Internal
// to src/crypto: every OpenSSL call that fails is reported through OpenSslError, so messages
// carry OpenSSL's own reasons and the queue never leaks stale entries into a later error.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace domicile::crypto {

// Returns an Internal status "<what>: <reasons>", where reasons are the entries drained from
// this thread's OpenSSL error queue (empty afterwards). Use after an OpenSSL call fails.
absl::Status OpenSslError(std::string_view what);

// Discards this thread's OpenSSL error queue. For calls whose failure is an expected answer
// (a signature that does not verify), not an error to report.
void ClearOpenSslErrors();

// For operations the API promises cannot fail (hashing, HMAC): OpenSSL fails there only when
// memory runs out. Prints OpenSslError(what) to stderr and aborts.
[[noreturn]] void FatalOpenSslError(std::string_view what);

}  // namespace domicile::crypto
