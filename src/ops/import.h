// Import: loads records from an external legacy system's JSON-lines dump into a site, one
// atomic batch per call. Each line is {"subject","key","class","value_b64"} (docs/import.md).
// The site must be able to hold the jurisdiction's data: a legacy site only for the
// jurisdictions it declares (legacy_of), a primary site only as the residency rules allow,
// a backup site never. Subjects not yet registered are registered in the jurisdiction; one
// registered elsewhere is a bad line.
//
// An import is named (its id) and its progress — the next line it expects — is kept in the
// site's store in the same atomic write as each batch's records, so a client that was
// interrupted asks ImportProgress and sends the rest: nothing is imported twice.
//
// The decision (policy action "import" on the site) is logged before the custodian is asked
// for any key; an "import" event records each batch written (lines, records, the SHA-256 of
// the batch's ciphertext). Values are never logged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "vault/vault.h"

namespace domicile::ops {

struct ImportRequest {
  std::string site;
  std::string jurisdiction;
  std::string import_id;    // lowercase letters, digits and '-', at most 64 bytes
  uint64_t first_line = 1;  // the number, in the whole dump, of the body's first line
  std::string_view body;    // JSON lines
  bool skip_bad = false;    // skip bad lines (reported) instead of refusing the batch
};

struct LineError {
  uint64_t line = 0;
  std::string message;
};

struct ImportResult {
  uint64_t imported = 0;    // records written
  uint64_t created = 0;     // of which new records (the others replaced a version)
  uint64_t registered = 0;  // subjects registered by this batch
  uint64_t already = 0;     // lines an earlier call already imported
  uint64_t skipped = 0;     // bad lines skipped
  uint64_t next_line = 0;   // the next line the import expects
  std::vector<LineError> errors;
  uint64_t log_index = 0;  // the "import" event of the batch (or the decision, if none)
};

// Imports one batch. InvalidArgument (listing the bad lines) when a line is bad and
// `skip_bad` is false: then nothing is written. FailedPrecondition if `first_line` is beyond
// the import's progress (a gap).
absl::StatusOr<ImportResult> Import(vault::Vault& vault, const vault::Caller& caller,
                                    const ImportRequest& request);

// The next line import `import_id` expects at `site` (1 for a new one).
absl::StatusOr<uint64_t> ImportProgress(vault::Vault& vault, std::string_view site,
                                        std::string_view import_id);

}  // namespace domicile::ops
