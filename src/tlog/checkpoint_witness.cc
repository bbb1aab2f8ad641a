#include "tlog/checkpoint_witness.h"

#include <utility>

#include "spdlog/spdlog.h"
#include "util/status_macros.h"

namespace domicile::tlog {

CheckpointSigner WithWitnesses(CheckpointSigner sign, std::vector<CheckpointWitness*> witnesses,
                               ConsistencyProofFn proofs) {
  return [sign = std::move(sign), witnesses = std::move(witnesses),
          proofs = std::move(proofs)](std::string_view text) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::string note, sign(text));
    std::string cosignatures;
    for (CheckpointWitness* witness : witnesses) {
      absl::StatusOr<std::string> lines = witness->Cosign(note, proofs);
      if (!lines.ok()) {
        spdlog::warn("tlog: publishing the checkpoint without the cosignature of witness {}: {}",
                     witness->verifier().name, lines.status().ToString());
        continue;
      }
      cosignatures += *lines;
    }
    return note + cosignatures;
  };
}

}  // namespace domicile::tlog
