// C2SP signed-note: text signed by one or more keys, the envelope of every checkpoint. Parses
// Ed25519 verifier keys ("name+hexid+base64(0x01||pub)") and notes, and opens a note only when a
// trusted key's signature verifies, so nothing downstream reads unauthenticated text.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "util/bytes.h"

namespace domicile::tlog {

// The signature type byte of Ed25519 note signatures.
inline constexpr uint8_t kNoteEd25519Type = 0x01;
// Notes with more signature lines are rejected (the spec asks for at least 16).
inline constexpr size_t kMaxNoteSignatures = 64;

// An Ed25519 verifier key.
struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  std::array<uint8_t, 32> public_key{};
};

// SHA-256(name || 0x0A || type || public_key)[:4], big-endian: the key ID the spec recommends
// for a key of signature type `type`.
uint32_t NoteKeyIdOfType(std::string_view name, uint8_t type, ByteView public_key);

// SHA-256(name || 0x0A || 0x01 || public_key)[:4], big-endian.
uint32_t NoteKeyId(std::string_view name, ByteView public_key);

// Whether `name` may name a key: non-empty valid UTF-8 without Unicode spaces, control
// characters or '+'.
bool IsValidNoteKeyName(std::string_view name);

// A verifier key of any signature type, split into its parts.
struct VerifierKeyParts {
  std::string name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  Bytes public_key;  // without the type byte
};

// Splits "<name>+<8 lowercase hex>+base64(type || key)", checking the name and the encodings
// but neither the type nor the key ID (which depend on the type). InvalidArgument if malformed.
absl::StatusOr<VerifierKeyParts> SplitVerifierKey(std::string_view vkey);

// Parses "<name>+<8 lowercase hex>+base64(0x01 || 32-byte key)". InvalidArgument if malformed,
// not Ed25519, or if the key ID does not match the name and key.
absl::StatusOr<NoteVerifier> ParseNoteVerifier(std::string_view vkey);

// The verifier key string of `verifier`.
std::string FormatNoteVerifier(const NoteVerifier& verifier);

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes signature;  // without the key ID
};

struct Note {
  std::string text;  // includes its final newline
  std::vector<NoteSignature> signatures;
};

// Splits a signed note into text and signature lines, checking the format only (valid UTF-8,
// no control characters but newline, text ending in newline, a blank line, then at least one
// well-formed signature line). InvalidArgument if malformed. Verifies nothing.
absl::StatusOr<Note> ParseNote(std::string_view signed_note);

// Parses `signed_note` and returns its text if a signature by `verifier` (same name and key ID)
// verifies. Signatures from other keys are ignored. InvalidArgument if malformed;
// Unauthenticated if no signature by the key is present or any of its signatures fails.
absl::StatusOr<std::string> OpenNote(std::string_view signed_note, const NoteVerifier& verifier);

// `text` signed by the Ed25519 `seed` under `name`, as a signed note. REQUIRES: text ends in a
// newline. InvalidArgument if the seed is not 32 bytes.
absl::StatusOr<std::string> SignNote(std::string_view text, std::string_view name, ByteView seed);

// Signs `message` with an Ed25519 key held elsewhere (a key provider); returns 64 bytes.
using NoteSignFn = std::function<absl::StatusOr<Bytes>(ByteView message)>;

// `text` signed under `name` by the key whose 32-byte public key is `public_key`, through
// `sign`. REQUIRES: text ends in a newline.
absl::StatusOr<std::string> SignNoteWith(std::string_view text, std::string_view name,
                                         ByteView public_key, const NoteSignFn& sign);

}  // namespace domicile::tlog
