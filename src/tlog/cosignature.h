// C2SP tlog-cosignature, Ed25519 flavour (cosignature/v1, signature type 0x04): a witness's
// timestamped statement that, as of that time, a checkpoint is the largest tree head consistent
// with everything it has seen of the log. A cosignature is one more signature line on the
// checkpoint's signed note, beside the log's own, so that a reader who trusts a witness knows
// the log showed it the same tree (no split view) without asking the log anything.
//
// The line is "— <witness name> base64(key ID || u64 timestamp BE || Ed25519 signature)"; the
// signature covers "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint's note text.
// The key ID is SHA-256(name || "\n" || 0x04 || public key)[:4], so a note reader configured
// only with log keys (OpenNote) ignores cosignatures, and a cosignature never verifies as a log
// signature. docs/log.md, "Witnesses and cosignatures".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tlog/note.h"
#include "util/bytes.h"

namespace domicile::tlog {

// The signature type byte of Ed25519 cosignatures.
inline constexpr uint8_t kCosignatureEd25519Type = 0x04;
// The first line of the signed message: domain separation.
inline constexpr std::string_view kCosignatureHeader = "cosignature/v1";
// Cosignature timestamps are at most 2^63 - 1.
inline constexpr uint64_t kMaxCosignatureTimestamp = 0x7fffffffffffffffULL;

// A witness's (cosigner's) Ed25519 verifier key.
struct CosignerVerifier {
  std::string name;
  uint32_t key_id = 0;
  std::array<uint8_t, 32> public_key{};
};

// SHA-256(name || 0x0A || 0x04 || public_key)[:4], big-endian.
uint32_t CosignerKeyId(std::string_view name, ByteView public_key);

// The verifier of the witness `name` with this 32-byte key. InvalidArgument for a bad name or a
// key that is not 32 bytes.
absl::StatusOr<CosignerVerifier> MakeCosignerVerifier(std::string_view name, ByteView public_key);

// Parses "<name>+<8 lowercase hex>+base64(0x04 || 32-byte key)". InvalidArgument if malformed,
// of another signature type (a log key, type 0x01, says so), or if the key ID does not match.
absl::StatusOr<CosignerVerifier> ParseCosignerVerifier(std::string_view vkey);

// The verifier key string of `verifier`.
std::string FormatCosignerVerifier(const CosignerVerifier& verifier);

// The signed message: "cosignature/v1\ntime <timestamp>\n" + checkpoint_text.
std::string CosignatureMessage(std::string_view checkpoint_text, uint64_t timestamp);

// The cosignature line ("— <name> <base64>\n") of the witness `name`, whose 32-byte public key
// is `public_key`, over `checkpoint_text` (a note text, ending in a newline, without signature
// lines) at `timestamp`, signed through `sign` (the key lives in a key provider).
// InvalidArgument for a bad name, key size, text without its final newline, or a timestamp past
// kMaxCosignatureTimestamp; Internal if `sign` returns other than 64 bytes; `sign`'s errors.
absl::StatusOr<std::string> MakeCosignature(std::string_view checkpoint_text, std::string_view name,
                                            ByteView public_key, uint64_t timestamp,
                                            const NoteSignFn& sign);

// MakeCosignature with the Ed25519 private `seed` (32 bytes) at hand (tests, tools).
absl::StatusOr<std::string> MakeCosignatureWithSeed(std::string_view checkpoint_text,
                                                    std::string_view name, ByteView seed,
                                                    uint64_t timestamp);

// Checks that `signed_note` carries a valid cosignature by `witness` and returns its timestamp
// (the latest, if it carries several). Lines of other keys are ignored, as the signed-note spec
// requires. Verifies neither the log's signature nor that the text is a checkpoint: open the
// note with the log's key as well. InvalidArgument if the note is malformed; Unauthenticated,
// naming the witness, if it carries no cosignature by the witness or one of them fails (a bad
// signature, a timestamp past kMaxCosignatureTimestamp, a wrong length).
absl::StatusOr<uint64_t> VerifyCosignature(std::string_view signed_note,
                                           const CosignerVerifier& witness);

}  // namespace domicile::tlog
