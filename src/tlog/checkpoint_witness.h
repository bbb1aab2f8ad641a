// CheckpointWitness: what the log asks for cosignatures of its checkpoints, whether the witness
// runs in the same process (MakeLocalWitness, witness_session.h) or behind HTTP
// (http::WitnessClient). And WithWitnesses, which turns the node's CheckpointSigner into one
// that also gathers cosignatures: the log signs, each witness cosigns, and the cosignature
// lines are appended to the note. A witness that fails costs a warning, never the checkpoint:
// the log publishes without that cosignature, and readers that require it refuse it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tlog/cosignature.h"
#include "tlog/log_options.h"
#include "tlog/merkle.h"

namespace domicile::tlog {

// The RFC 6962 consistency proof from the log's tree of `old_size` leaves to its tree of
// `new_size` (for a Log: Log::ConsistencyProof). REQUIRES: 0 < old_size < new_size.
using ConsistencyProofFn =
    std::function<absl::StatusOr<std::vector<Hash>>(uint64_t old_size, uint64_t new_size)>;

class CheckpointWitness {
 public:
  virtual ~CheckpointWitness() = default;

  // Asks the witness to cosign `signed_checkpoint` (a checkpoint note signed by the log),
  // proving it consistent, through `proofs`, with the checkpoint the witness cosigned last.
  // Returns the witness's cosignature lines ("— <name> <base64>\n" each), verified against
  // verifier(), to append to `signed_checkpoint`. Errors, each naming the witness:
  //   InvalidArgument     `signed_checkpoint` is malformed, or the witness calls the request so
  //   NotFound            the witness does not know the log's origin (404)
  //   PermissionDenied    the witness does not trust the log's key (403)
  //   FailedPrecondition  the witness refuses the checkpoint as inconsistent with what it
  //                       cosigned (422), or has cosigned a larger tree of this log
  //   Aborted             the witness's size moved again while we retried (409 twice)
  //   Unauthenticated     the answer holds no valid cosignature by verifier()
  //   Unavailable         the witness cannot be reached or failed itself (5xx)
  //   and the errors of `proofs`.
  // Thread-safe; submissions to one witness are serialized.
  virtual absl::StatusOr<std::string> Cosign(std::string_view signed_checkpoint,
                                             const ConsistencyProofFn& proofs) = 0;

  // The key the witness's cosignatures verify with.
  virtual const CosignerVerifier& verifier() const = 0;
};

// A CheckpointSigner that signs with `sign`, then asks each of `witnesses` (not owned; they
// outlive the signer) in turn to cosign the signed note, and returns the note with the
// cosignature lines of those that did. A witness's failure is logged as a warning and skipped;
// a failure of `sign` is returned as is. `proofs` proves the log's own growth: it must answer
// for sizes up to the checkpoint's, from the thread the log calls the signer on (for a Log,
// Log::ConsistencyProof answers up to IntegratedSize(), which the checkpoint never exceeds).
CheckpointSigner WithWitnesses(CheckpointSigner sign, std::vector<CheckpointWitness*> witnesses,
                               ConsistencyProofFn proofs);

}  // namespace domicile::tlog
