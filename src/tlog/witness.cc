#include "tlog/witness.h"

#include <algorithm>

#include "absl/status/status.h"
#include "crypto/ed25519.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"
#include "tlog/checkpoint.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";

std::string StateKey(std::string_view origin) {
  return fmt::format("{}{}", kWitnessStatePrefix, origin);
}

std::string EncodeLatest(uint64_t size, const Hash& root, std::string_view note) {
  Bytes value;
  AppendU64(value, size);
  value.insert(value.end(), root.begin(), root.end());
  std::string out = ToString(value);
  out += note;
  return out;
}

// The note's signature line for `sig`, as it was sent.
std::string SignatureLine(const NoteSignature& sig) {
  Bytes raw;
  AppendU32(raw, sig.key_id);
  raw.insert(raw.end(), sig.signature.begin(), sig.signature.end());
  return fmt::format("{}{} {}\n", kEmDashSpace, sig.name, Base64Encode(raw));
}

// The answer for a failure of the witness itself (its store, its key).
AddCheckpointResponse Failed(const absl::Status& status, std::string_view what) {
  spdlog::error("witness: {}: {}", what, status.ToString());
  return WitnessErrorResponse(absl::IsUnavailable(status) ? 503 : 500,
                              fmt::format("witness: {}: {}", what, std::string(status.message())));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Witness>> Witness::Create(std::string name, ByteView public_key,
                                                         NoteSignFn sign,
                                                         std::vector<NoteVerifier> logs,
                                                         store::KvStore* store,
                                                         const Clock* clock) {
  ASSIGN_OR_RETURN(CosignerVerifier verifier, MakeCosignerVerifier(name, public_key));
  if (logs.empty()) return absl::InvalidArgumentError("witness: no log keys to trust");
  if (!sign || store == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("witness: a sign function, a store and a clock are required");
  }
  return std::unique_ptr<Witness>(
      new Witness(std::move(verifier), std::move(sign), std::move(logs), store, clock));
}

Witness::Witness(CosignerVerifier verifier, NoteSignFn sign, std::vector<NoteVerifier> logs,
                 store::KvStore* store, const Clock* clock)
    : verifier_(std::move(verifier)),
      sign_(std::move(sign)),
      logs_(std::move(logs)),
      store_(store),
      clock_(clock) {}

std::vector<std::string> Witness::Origins() const {
  std::vector<std::string> out;
  for (const NoteVerifier& log : logs_) {
    if (std::find(out.begin(), out.end(), log.name) == out.end()) out.push_back(log.name);
  }
  return out;
}

absl::StatusOr<Witness::Latest> Witness::ReadLatest(std::string_view origin) const {
  absl::StatusOr<std::string> value = store_->Get(StateKey(origin));
  Latest latest;
  if (absl::IsNotFound(value.status())) {
    latest.root = EmptyRoot();
    return latest;
  }
  if (!value.ok()) return value.status();
  if (value->size() < 8 + sizeof(Hash)) {
    return absl::DataLossError(fmt::format("witness: the state of {} is truncated", origin));
  }
  const ByteView raw = AsBytes(*value);
  latest.size = ReadU64(raw.data());
  std::copy(raw.begin() + 8, raw.begin() + 8 + sizeof(Hash), latest.root.begin());
  latest.note = value->substr(8 + sizeof(Hash));
  return latest;
}

absl::StatusOr<std::string> Witness::LatestCheckpoint(std::string_view origin) const {
  ASSIGN_OR_RETURN(Latest latest, ReadLatest(origin));
  if (latest.note.empty()) {
    return absl::NotFoundError(
        fmt::format("witness {} has cosigned no checkpoint of {}", verifier_.name, origin));
  }
  return latest.note;
}

AddCheckpointResponse Witness::AddCheckpoint(std::string_view request_body) {
  absl::StatusOr<AddCheckpointRequest> request = ParseAddCheckpointRequest(request_body);
  if (!request.ok()) return WitnessErrorResponse(400, std::string(request.status().message()));
  absl::StatusOr<Note> note = ParseNote(request->checkpoint);
  if (!note.ok()) return WitnessErrorResponse(400, std::string(note.status().message()));
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(note->text);
  if (!cp.ok()) return WitnessErrorResponse(400, std::string(cp.status().message()));

  // The origin's trusted keys: every signature by one of them must verify, and one must exist.
  bool known = false;
  std::string verified_lines;
  for (const NoteVerifier& log : logs_) {
    if (log.name != cp->origin) continue;
    known = true;
    for (const NoteSignature& sig : note->signatures) {
      if (sig.name != log.name || sig.key_id != log.key_id) continue;
      if (!crypto::Ed25519Verify(log.public_key, AsBytes(note->text), sig.signature)) {
        return WitnessErrorResponse(
            403, fmt::format("the signature by {}+{:08x} does not verify", log.name, log.key_id));
      }
      verified_lines += SignatureLine(sig);
    }
  }
  if (!known) {
    return WitnessErrorResponse(404, fmt::format("unknown log origin \"{}\"", cp->origin));
  }
  if (verified_lines.empty()) {
    return WitnessErrorResponse(403,
                                fmt::format("no signature by a trusted key of \"{}\"", cp->origin));
  }
  const uint64_t old_size = request->old_size;
  if (old_size > cp->size) {
    return WitnessErrorResponse(
        400,
        fmt::format("old size {} is larger than the checkpoint's size {}", old_size, cp->size));
  }

  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<Latest> latest = ReadLatest(cp->origin);
  if (!latest.ok()) return Failed(latest.status(), "reading its state");
  if (old_size != latest->size) {
    return WitnessConflictResponse(
        latest->size, fmt::format("old size {} is not the size {} last cosigned for {}", old_size,
                                  latest->size, cp->origin));
  }
  std::string inconsistent;
  if (cp->size == 0 && cp->root != EmptyRoot()) {
    inconsistent = "a checkpoint of size 0 must have the empty tree's root";
  } else if (old_size == 0 && !request->proof.empty()) {
    inconsistent = "a consistency proof from size 0 must be empty";
  } else if (old_size == cp->size && cp->root != latest->root) {
    inconsistent = fmt::format(
        "fork: the checkpoint of size {} has root {}, but the one cosigned "
        "at that size has root {}",
        cp->size, Base64Encode(cp->root), Base64Encode(latest->root));
  } else if (!VerifyConsistency(old_size, cp->size, request->proof, latest->root, cp->root)) {
    inconsistent = fmt::format(
        "the consistency proof from size {} (root {}) to size {} (root {}) does not verify",
        old_size, Base64Encode(latest->root), cp->size, Base64Encode(cp->root));
  }
  if (!inconsistent.empty()) {
    // A validly signed, inconsistent checkpoint may be evidence that the log misbehaves.
    spdlog::warn("witness: refused a checkpoint of {}: {}; checkpoint:\n{}", cp->origin,
                 inconsistent, request->checkpoint);
    return WitnessErrorResponse(422, std::move(inconsistent));
  }

  const int64_t now = clock_->NowUnixSeconds();
  if (now <= 0) {
    return Failed(absl::InternalError("the clock is before 1970"), "timestamping");
  }
  absl::StatusOr<std::string> line = MakeCosignature(
      note->text, verifier_.name, verifier_.public_key, static_cast<uint64_t>(now), sign_);
  if (!line.ok()) return Failed(line.status(), "signing");
  const std::string cosigned = fmt::format("{}\n{}{}", note->text, verified_lines, *line);
  if (absl::Status s =
          store_->Put(StateKey(cp->origin), EncodeLatest(cp->size, cp->root, cosigned));
      !s.ok()) {
    return Failed(s, "storing its state");
  }
  AddCheckpointResponse ok;
  ok.status = 200;
  ok.body = *std::move(line);
  ok.content_type = std::string(kWitnessTextContentType);
  ok.message = fmt::format("cosigned {} at size {}", cp->origin, cp->size);
  return ok;
}

}  // namespace domicile::tlog
