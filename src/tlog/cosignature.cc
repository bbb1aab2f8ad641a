#include "tlog/cosignature.h"

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "crypto/ed25519.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";
// A cosignature after its key ID: u64 timestamp || 64-byte Ed25519 signature.
constexpr size_t kCosignatureSize = 8 + 64;

std::string Describe(const CosignerVerifier& witness) {
  return fmt::format("{}+{:08x}", witness.name, witness.key_id);
}

}  // namespace

uint32_t CosignerKeyId(std::string_view name, ByteView public_key) {
  return NoteKeyIdOfType(name, kCosignatureEd25519Type, public_key);
}

absl::StatusOr<CosignerVerifier> MakeCosignerVerifier(std::string_view name, ByteView public_key) {
  if (!IsValidNoteKeyName(name)) {
    return absl::InvalidArgumentError(fmt::format("bad witness name \"{}\"", name));
  }
  if (public_key.size() != 32) {
    return absl::InvalidArgumentError("a witness's Ed25519 public key is 32 bytes");
  }
  CosignerVerifier v;
  v.name = std::string(name);
  v.key_id = CosignerKeyId(name, public_key);
  std::copy(public_key.begin(), public_key.end(), v.public_key.begin());
  return v;
}

absl::StatusOr<CosignerVerifier> ParseCosignerVerifier(std::string_view vkey) {
  ASSIGN_OR_RETURN(VerifierKeyParts parts, SplitVerifierKey(vkey));
  if (parts.type == kNoteEd25519Type) {
    return absl::InvalidArgumentError(
        "witness key: this is a log key (signature type 0x01), not a cosigner key (0x04)");
  }
  if (parts.type != kCosignatureEd25519Type || parts.public_key.size() != 32) {
    return absl::InvalidArgumentError("witness key: not an Ed25519 cosigner key (type 0x04)");
  }
  ASSIGN_OR_RETURN(CosignerVerifier v, MakeCosignerVerifier(parts.name, parts.public_key));
  if (v.key_id != parts.key_id) {
    return absl::InvalidArgumentError("witness key: key ID does not match name and key");
  }
  return v;
}

std::string FormatCosignerVerifier(const CosignerVerifier& verifier) {
  Bytes key = {kCosignatureEd25519Type};
  key.insert(key.end(), verifier.public_key.begin(), verifier.public_key.end());
  return fmt::format("{}+{:08x}+{}", verifier.name, verifier.key_id, Base64Encode(key));
}

std::string CosignatureMessage(std::string_view checkpoint_text, uint64_t timestamp) {
  return fmt::format("{}\ntime {}\n{}", kCosignatureHeader, timestamp, checkpoint_text);
}

absl::StatusOr<std::string> MakeCosignature(std::string_view checkpoint_text, std::string_view name,
                                            ByteView public_key, uint64_t timestamp,
                                            const NoteSignFn& sign) {
  ASSIGN_OR_RETURN(CosignerVerifier v, MakeCosignerVerifier(name, public_key));
  if (!checkpoint_text.ends_with('\n')) {
    return absl::InvalidArgumentError("a cosigned note text ends in a newline");
  }
  if (timestamp > kMaxCosignatureTimestamp) {
    return absl::InvalidArgumentError("a cosignature timestamp is at most 2^63-1");
  }
  const std::string message = CosignatureMessage(checkpoint_text, timestamp);
  ASSIGN_OR_RETURN(Bytes sig, sign(AsBytes(message)));
  if (sig.size() != 64) {
    return absl::InternalError("the signer returned a signature that is not 64 bytes");
  }
  Bytes raw;
  AppendU32(raw, v.key_id);
  AppendU64(raw, timestamp);
  raw.insert(raw.end(), sig.begin(), sig.end());
  return fmt::format("{}{} {}\n", kEmDashSpace, name, Base64Encode(raw));
}

absl::StatusOr<std::string> MakeCosignatureWithSeed(std::string_view checkpoint_text,
                                                    std::string_view name, ByteView seed,
                                                    uint64_t timestamp) {
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(seed));
  return MakeCosignature(
      checkpoint_text, name, pub, timestamp, [seed](ByteView message) -> absl::StatusOr<Bytes> {
        ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, crypto::Ed25519Sign(seed, message));
        return Bytes(sig.begin(), sig.end());
      });
}

absl::StatusOr<uint64_t> VerifyCosignature(std::string_view signed_note,
                                           const CosignerVerifier& witness) {
  ASSIGN_OR_RETURN(Note note, ParseNote(signed_note));
  std::optional<uint64_t> latest;
  for (const NoteSignature& sig : note.signatures) {
    if (sig.name != witness.name || sig.key_id != witness.key_id) continue;
    if (sig.signature.size() != kCosignatureSize) {
      return absl::UnauthenticatedError(
          fmt::format("the cosignature by witness {} is {} bytes, not {}", Describe(witness),
                      sig.signature.size() + 4, kCosignatureSize + 4));
    }
    const uint64_t timestamp = ReadU64(sig.signature.data());
    if (timestamp > kMaxCosignatureTimestamp) {
      return absl::UnauthenticatedError(fmt::format(
          "the cosignature by witness {} has a timestamp past 2^63-1", Describe(witness)));
    }
    const std::string message = CosignatureMessage(note.text, timestamp);
    if (!crypto::Ed25519Verify(witness.public_key, AsBytes(message),
                               ByteView(sig.signature).subspan(8))) {
      return absl::UnauthenticatedError(fmt::format(
          "the cosignature by witness {} does not verify on this checkpoint", Describe(witness)));
    }
    latest = std::max(latest.value_or(0), timestamp);
  }
  if (!latest.has_value()) {
    return absl::UnauthenticatedError(
        fmt::format("no cosignature by witness {} on this checkpoint", Describe(witness)));
  }
  return *latest;
}

}  // namespace domicile::tlog
