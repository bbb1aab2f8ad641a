#include "tlog/witness_session.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "util/status_macros.h"

namespace domicile::tlog {

WitnessSession::WitnessSession(CosignerVerifier witness, AddCheckpointFn post,
                               std::string description)
    : witness_(std::move(witness)), post_(std::move(post)), description_(std::move(description)) {}

uint64_t WitnessSession::known_size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return known_size_;
}

absl::Status WitnessSession::Refused(const AddCheckpointResponse& answer) const {
  const std::string why =
      fmt::format("witness {} answered {}: {}", description_, answer.status, answer.message);
  switch (answer.status) {
    case 400:
      return absl::InvalidArgumentError(why);
    case 403:
      return absl::PermissionDeniedError(why);
    case 404:
      return absl::NotFoundError(why);
    case 422:
      return absl::FailedPreconditionError(why);
    default:
      if (answer.status >= 500) return absl::UnavailableError(why);
      return absl::UnknownError(why);
  }
}

absl::StatusOr<std::string> WitnessSession::Cosign(std::string_view signed_checkpoint,
                                                   const ConsistencyProofFn& proofs) {
  ASSIGN_OR_RETURN(Note note, ParseNote(signed_checkpoint));
  ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(note.text));
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    uint64_t old_size = known_size_;
    if (old_size > cp.size) {
      if (attempt > 0) {
        return absl::FailedPreconditionError(fmt::format(
            "witness {} has cosigned {} at size {}, larger than this checkpoint's {}: it will not "
            "cosign a smaller tree",
            description_, cp.origin, old_size, cp.size));
      }
      old_size = 0;  // a belief we cannot prove from: ask with 0 and learn the witness's size
    }
    std::vector<Hash> proof;
    if (old_size != 0 && old_size != cp.size) {
      absl::StatusOr<std::vector<Hash>> p = proofs(old_size, cp.size);
      if (!p.ok()) {
        return absl::Status(
            p.status().code(),
            fmt::format("the consistency proof from {} to {} for witness {}: {}", old_size, cp.size,
                        description_, std::string(p.status().message())));
      }
      proof = *std::move(p);
    }
    ASSIGN_OR_RETURN(std::string body,
                     FormatAddCheckpointRequest(old_size, proof, signed_checkpoint));
    absl::StatusOr<AddCheckpointResponse> answer = post_(body);
    if (!answer.ok()) {
      return absl::Status(
          answer.status().code(),
          fmt::format("witness {}: {}", description_, std::string(answer.status().message())));
    }
    if (answer->status == 200) {
      absl::StatusOr<std::string> lines =
          CosignaturesFromResponse(signed_checkpoint, answer->body, witness_);
      if (!lines.ok()) {
        return absl::UnauthenticatedError(
            fmt::format("witness {}: {}", description_, std::string(lines.status().message())));
      }
      known_size_ = cp.size;
      return lines;
    }
    if (answer->status != 409) return Refused(*answer);
    absl::StatusOr<uint64_t> size = ParseTreeSizeBody(answer->body);
    if (!size.ok()) {
      return absl::UnknownError(
          fmt::format("witness {}: {}", description_, std::string(size.status().message())));
    }
    known_size_ = *size;
  }
  return absl::AbortedError(
      fmt::format("witness {} answered 409 twice: its size for {} moved to {} while we retried",
                  description_, cp.origin, known_size_));
}

std::unique_ptr<CheckpointWitness> MakeLocalWitness(Witness* witness) {
  return std::make_unique<WitnessSession>(
      witness->verifier(),
      [witness](std::string_view body) -> absl::StatusOr<AddCheckpointResponse> {
        return witness->AddCheckpoint(body);
      },
      fmt::format("{} (in-process)", witness->verifier().name));
}

}  // namespace domicile::tlog
