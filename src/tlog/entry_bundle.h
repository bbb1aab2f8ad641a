// C2SP tlog-tiles entry bundles: consecutive log entries, each prefixed by its big-endian
// uint16 length, as served at tile/entries/<N>[.p/<W>].
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "util/bytes.h"

namespace domicile::tlog {

// The entries of `bundle`. InvalidArgument if a length prefix or an entry is truncated.
absl::StatusOr<std::vector<Bytes>> ParseEntryBundle(ByteView bundle);

// The bundle holding `entries`. REQUIRES: every entry is at most 65535 bytes.
Bytes FormatEntryBundle(const std::vector<Bytes>& entries);

}  // namespace domicile::tlog
