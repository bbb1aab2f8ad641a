#include "tlog/add_checkpoint.h"

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "tlog/note.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";

absl::Status BadRequest(std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("malformed add-checkpoint request: {}", why));
}

// A decimal without sign or leading zeroes ("0" itself is fine) that fits in 64 bits.
std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// Takes the next newline-terminated line off `rest`; nullopt if there is no newline.
std::optional<std::string_view> NextLine(std::string_view& rest) {
  const size_t eol = rest.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  std::string_view line = rest.substr(0, eol);
  rest.remove_prefix(eol + 1);
  return line;
}

}  // namespace

absl::StatusOr<std::string> FormatAddCheckpointRequest(uint64_t old_size,
                                                       std::span<const Hash> proof,
                                                       std::string_view signed_checkpoint) {
  if (proof.size() > kMaxWitnessProofLines) {
    return absl::InvalidArgumentError(
        fmt::format("a consistency proof of {} hashes is longer than add-checkpoint allows ({})",
                    proof.size(), kMaxWitnessProofLines));
  }
  std::string body = fmt::format("old {}\n", old_size);
  for (const Hash& h : proof) body += Base64Encode(h) + "\n";
  body += "\n";
  body += signed_checkpoint;
  return body;
}

absl::StatusOr<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body) {
  std::string_view rest = body;
  const std::optional<std::string_view> first = NextLine(rest);
  if (!first.has_value()) return BadRequest("no old size line");
  constexpr std::string_view kOld = "old ";
  if (!first->starts_with(kOld)) return BadRequest("the first line is not \"old <size>\"");
  AddCheckpointRequest request;
  const std::optional<uint64_t> old_size = ParseDecimal(first->substr(kOld.size()));
  if (!old_size.has_value()) {
    return BadRequest("the old size is not a decimal without leading zeroes");
  }
  request.old_size = *old_size;
  while (true) {
    const std::optional<std::string_view> line = NextLine(rest);
    if (!line.has_value()) return BadRequest("no empty line before the checkpoint");
    if (line->empty()) break;
    if (request.proof.size() == kMaxWitnessProofLines) {
      return BadRequest(fmt::format("more than {} proof lines", kMaxWitnessProofLines));
    }
    const std::optional<Bytes> hash = Base64Decode(*line);
    if (!hash.has_value() || hash->size() != sizeof(Hash)) {
      return BadRequest(
          fmt::format("proof line {} is not base64 of 32 bytes", request.proof.size() + 1));
    }
    Hash h{};
    std::copy(hash->begin(), hash->end(), h.begin());
    request.proof.push_back(h);
  }
  if (rest.empty()) return BadRequest("no checkpoint");
  request.checkpoint = std::string(rest);
  return request;
}

AddCheckpointResponse WitnessErrorResponse(int status, std::string message) {
  AddCheckpointResponse r;
  r.status = status;
  r.body = message + "\n";
  r.content_type = std::string(kWitnessTextContentType);
  r.message = std::move(message);
  return r;
}

AddCheckpointResponse WitnessConflictResponse(uint64_t size, std::string message) {
  AddCheckpointResponse r;
  r.status = 409;
  r.body = fmt::format("{}\n", size);
  r.content_type = std::string(kTlogSizeContentType);
  r.message = std::move(message);
  return r;
}

absl::StatusOr<uint64_t> ParseTreeSizeBody(std::string_view body) {
  std::optional<uint64_t> size;
  if (body.ends_with('\n')) size = ParseDecimal(body.substr(0, body.size() - 1));
  if (!size.has_value()) {
    return absl::InvalidArgumentError(
        "a witness's 409 body is not a tree size (a decimal and a newline)");
  }
  return *size;
}

absl::StatusOr<std::string> CosignaturesFromResponse(std::string_view signed_checkpoint,
                                                     std::string_view body,
                                                     const CosignerVerifier& witness) {
  ASSIGN_OR_RETURN(Note note, ParseNote(signed_checkpoint));
  if (body.empty()) return absl::InvalidArgumentError("the witness answered with no cosignature");
  std::string kept;
  std::string_view rest = body;
  while (!rest.empty()) {
    const std::optional<std::string_view> line = NextLine(rest);
    if (!line.has_value() || !line->starts_with(kEmDashSpace)) {
      return absl::InvalidArgumentError(
          "the witness's answer is not signature lines (\"\xE2\x80\x94 name signature\\n\")");
    }
    // The line alone on the note text: parsed (and, if it is the witness's, verified) as such.
    const std::string single = fmt::format("{}\n{}\n", note.text, *line);
    absl::StatusOr<Note> parsed = ParseNote(single);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(fmt::format("the witness's answer holds a bad line: {}",
                                                    std::string(parsed.status().message())));
    }
    const NoteSignature& sig = parsed->signatures.front();
    if (sig.name != witness.name || sig.key_id != witness.key_id) continue;
    RETURN_IF_ERROR(VerifyCosignature(single, witness).status());
    kept += fmt::format("{}\n", *line);
  }
  if (kept.empty()) {
    return absl::UnauthenticatedError(fmt::format(
        "the witness's answer holds no cosignature by {}+{:08x}", witness.name, witness.key_id));
  }
  return kept;
}

}  // namespace domicile::tlog
