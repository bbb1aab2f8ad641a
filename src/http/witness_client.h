// WitnessClient: a remote C2SP tlog-witness over HTTP, as the tlog::CheckpointWitness a log's
// signer asks for cosignatures (tlog::WithWitnesses). It POSTs add-checkpoint to the witness's
// submission prefix on one kept-alive http::Client, and leaves the protocol (the size the
// witness is believed to hold, learning it from a 409, the one retry, checking the returned
// cosignatures against the witness's key) to tlog::WitnessSession.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "http/client.h"
#include "tlog/checkpoint_witness.h"
#include "tlog/cosignature.h"
#include "tlog/witness_session.h"

namespace domicile::http {

class WitnessClient final : public tlog::CheckpointWitness {
 public:
  // `submission_prefix` is the witness's URL without the final "/add-checkpoint":
  // "https://witness.example" or "http://127.0.0.1:8700/witness" (a trailing '/' is ignored).
  // `witness` is the key its cosignatures must verify with. `options.timeout` bounds each
  // request, and so how long a checkpoint can wait for this witness. InvalidArgument for
  // another URL (a query, a fragment, another scheme) or unreadable certificate files.
  static absl::StatusOr<std::unique_ptr<WitnessClient>> Create(std::string_view submission_prefix,
                                                               tlog::CosignerVerifier witness,
                                                               ClientOptions options = {});

  // See tlog::CheckpointWitness::Cosign. Thread-safe: requests go out one at a time, on the one
  // connection. Unavailable when the witness cannot be reached.
  absl::StatusOr<std::string> Cosign(std::string_view signed_checkpoint,
                                     const tlog::ConsistencyProofFn& proofs) override;

  const tlog::CosignerVerifier& verifier() const override { return session_->verifier(); }

  // The size the witness is believed to have cosigned last (0 until it says otherwise).
  uint64_t known_size() const { return session_->known_size(); }

 private:
  WitnessClient(std::unique_ptr<Client> client, std::string path);
  absl::StatusOr<tlog::AddCheckpointResponse> Post(std::string_view body);

  const std::unique_ptr<Client> client_;  // used only under session_'s lock
  const std::string path_;                // "<prefix path>/add-checkpoint"
  std::unique_ptr<tlog::WitnessSession> session_;
};

}  // namespace domicile::http
