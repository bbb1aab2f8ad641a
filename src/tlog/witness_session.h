// WitnessSession: the client side of tlog-witness add-checkpoint, over any transport. It
// remembers the size it believes the witness last cosigned (0 at first), sends the consistency
// proof from there, and on a 409 learns the witness's size from the answer and retries once
// with the right proof; so a restarted log, or a witness that others fed, costs one round trip.
// The transport is a function (http::WitnessClient posts over HTTP; MakeLocalWitness calls an
// in-process Witness directly), so the protocol logic exists once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tlog/add_checkpoint.h"
#include "tlog/checkpoint_witness.h"
#include "tlog/cosignature.h"
#include "tlog/witness.h"

namespace domicile::tlog {

// Sends one add-checkpoint request body and returns the witness's answer (any HTTP status); an
// error only when no answer came (Unavailable for an unreachable witness).
using AddCheckpointFn = std::function<absl::StatusOr<AddCheckpointResponse>(std::string_view)>;

class WitnessSession final : public CheckpointWitness {
 public:
  // `witness` is the key its cosignatures must verify with; `description` names it in errors
  // ("witness.example/w1 at https://witness.example").
  WitnessSession(CosignerVerifier witness, AddCheckpointFn post, std::string description);

  // See CheckpointWitness::Cosign. Holds a lock across the transport call, so `post` is never
  // called concurrently with itself.
  absl::StatusOr<std::string> Cosign(std::string_view signed_checkpoint,
                                     const ConsistencyProofFn& proofs) override;

  const CosignerVerifier& verifier() const override { return witness_; }

  // The size the witness is believed to have cosigned last.
  uint64_t known_size() const;

 private:
  // The error for a final answer other than 200 and 409.
  absl::Status Refused(const AddCheckpointResponse& answer) const;

  const CosignerVerifier witness_;
  const AddCheckpointFn post_;
  const std::string description_;
  mutable std::mutex mu_;
  uint64_t known_size_ = 0;  // guarded by mu_
};

// The CheckpointWitness of an in-process `witness` (not owned; it outlives the result).
std::unique_ptr<CheckpointWitness> MakeLocalWitness(Witness* witness);

}  // namespace domicile::tlog
