// C2SP tlog-checkpoint: the signed tree head of a log (origin, tree size, root hash, optional
// extension lines) carried as the text of a signed note. Parsing is strict so that two parties
// can never read different trees out of one signed checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace domicile::tlog {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // opaque, each non-empty
  bool operator==(const Checkpoint&) const = default;
};

// Parses a checkpoint note text: at least three non-empty newline-terminated lines; the size in
// decimal without leading zeroes; the root as padded base64 of exactly 32 bytes. InvalidArgument
// on anything else.
absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text);

// The note text of `checkpoint`. REQUIRES: origin and extensions non-empty and free of newlines.
std::string FormatCheckpoint(const Checkpoint& checkpoint);

// Verifies the signed checkpoint `signed_note` with `verifier` (see OpenNote) and parses it,
// requiring its origin to equal the key name. InvalidArgument if malformed, Unauthenticated if
// not validly signed or signed for another origin.
absl::StatusOr<Checkpoint> OpenCheckpoint(std::string_view signed_note,
                                          const NoteVerifier& verifier);

}  // namespace domicile::tlog
