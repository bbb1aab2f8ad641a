// C2SP tlog-witness add-checkpoint, the wire format: the request body a log POSTs to
// <submission prefix>/add-checkpoint (an old size line, up to 63 consistency proof lines, an
// empty line, the signed checkpoint) and the response bodies it gets back (200: cosignature
// lines; 409: the size the witness last cosigned). Pure functions, shared by the witness
// (witness.h) and its clients (witness_session.h). docs/log.md, "Witnesses and cosignatures".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tlog/cosignature.h"
#include "tlog/merkle.h"

namespace domicile::tlog {

// A client must not send more consistency proof lines.
inline constexpr size_t kMaxWitnessProofLines = 63;
// The content type of a 409 answer, whose body is the witness's tree size.
inline constexpr std::string_view kTlogSizeContentType = "text/x.tlog.size";
// The content type of every other answer.
inline constexpr std::string_view kWitnessTextContentType = "text/plain; charset=utf-8";

struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<Hash> proof;  // from old_size to the checkpoint's size
  std::string checkpoint;   // the signed checkpoint note, as sent (not yet parsed or verified)
};

// "old <old_size>\n", a base64 line per proof hash, "\n", then `signed_checkpoint`.
// InvalidArgument for more than kMaxWitnessProofLines hashes.
absl::StatusOr<std::string> FormatAddCheckpointRequest(uint64_t old_size,
                                                       std::span<const Hash> proof,
                                                       std::string_view signed_checkpoint);

// Parses a request body exactly as the spec writes it: "old" and a space, a decimal without
// leading zeroes, then lines of base64 of 32 bytes each (at most 63), then an empty line; all
// that follows is the checkpoint. InvalidArgument, saying what is wrong, for anything else.
absl::StatusOr<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body);

// A witness's answer to add-checkpoint, as the witness gives it and a client reads it.
struct AddCheckpointResponse {
  // 200 cosigned; 400 bad request; 403 no valid signature by a trusted log key; 404 unknown
  // origin; 409 old size is not the witness's; 422 inconsistent (size-zero checkpoint with
  // another root, proof with old size 0, failing proof, same size and another root); 500 or 503
  // when the witness itself fails (its store, its key).
  int status = 0;
  // 200: the cosignature lines; 409: "<size>\n"; otherwise `message` and a newline.
  std::string body;
  // kTlogSizeContentType for 409, kWitnessTextContentType otherwise.
  std::string content_type;
  // Why, in one sentence, for logs and errors.
  std::string message;
};

// The response of `status` (not 200 or 409) with `message` as its body.
AddCheckpointResponse WitnessErrorResponse(int status, std::string message);
// The 409 response: the witness last cosigned `size`.
AddCheckpointResponse WitnessConflictResponse(uint64_t size, std::string message);

// Parses a 409 body: a decimal without leading zeroes and a newline. InvalidArgument otherwise.
absl::StatusOr<uint64_t> ParseTreeSizeBody(std::string_view body);

// The lines of a 200 body that are cosignatures by `witness` verifying on `signed_checkpoint`,
// in order, ready to be appended to it; lines by other keys are dropped, as the spec asks.
// InvalidArgument if `signed_checkpoint` is malformed or the body is not one or more signature
// lines; Unauthenticated, naming the witness, if a line by the witness fails or none is there.
absl::StatusOr<std::string> CosignaturesFromResponse(std::string_view signed_checkpoint,
                                                     std::string_view body,
                                                     const CosignerVerifier& witness);

}  // namespace domicile::tlog
