#include "tlog/note.h"

#include <algorithm>

#include "absl/status/status.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";

absl::Status Malformed(std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("malformed signed note: {}", why));
}

// Decodes one UTF-8 code point at `s[i]`, advancing i; false if invalid (overlong, surrogate,
// out of range, truncated).
bool NextCodePoint(std::string_view s, size_t& i, uint32_t& cp) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (i + len > s.size()) return false;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += len;
  return true;
}

bool IsUnicodeSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Valid UTF-8 with no control characters other than newline.
bool IsCleanText(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    if (!NextCodePoint(s, i, cp)) return false;
    if (cp < 0x20 && cp != '\n') return false;
  }
  return true;
}

}  // namespace

bool IsValidNoteKeyName(std::string_view name) {
  if (name.empty()) return false;
  size_t i = 0;
  while (i < name.size()) {
    uint32_t cp = 0;
    if (!NextCodePoint(name, i, cp)) return false;
    if (cp < 0x20 || cp == '+' || IsUnicodeSpace(cp)) return false;
  }
  return true;
}

uint32_t NoteKeyIdOfType(std::string_view name, uint8_t type, ByteView public_key) {
  crypto::Sha256Hasher hasher;
  hasher.Update(AsBytes(name));
  const uint8_t sep[2] = {0x0A, type};
  hasher.Update(sep);
  hasher.Update(public_key);
  return ReadU32(hasher.Finish().data());
}

uint32_t NoteKeyId(std::string_view name, ByteView public_key) {
  return NoteKeyIdOfType(name, kNoteEd25519Type, public_key);
}

absl::StatusOr<VerifierKeyParts> SplitVerifierKey(std::string_view vkey) {
  const size_t plus1 = vkey.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : vkey.find('+', plus1 + 1);
  // The name and ID hold no '+'; the base64 key may.
  if (plus2 == std::string_view::npos) {
    return absl::InvalidArgumentError("malformed verifier key: want name+id+key");
  }
  VerifierKeyParts parts;
  parts.name = std::string(vkey.substr(0, plus1));
  if (!IsValidNoteKeyName(parts.name)) {
    return absl::InvalidArgumentError("verifier key: bad key name");
  }
  const std::string_view hex = vkey.substr(plus1 + 1, plus2 - plus1 - 1);
  if (hex.size() != 8 || !std::all_of(hex.begin(), hex.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return absl::InvalidArgumentError("verifier key: key ID is not 8 lowercase hex digits");
  }
  const std::optional<Bytes> id = HexDecode(hex);
  const std::optional<Bytes> key = Base64Decode(vkey.substr(plus2 + 1));
  if (!id || !key || key->empty()) return absl::InvalidArgumentError("verifier key: bad encoding");
  parts.key_id = ReadU32(id->data());
  parts.type = (*key)[0];
  parts.public_key.assign(key->begin() + 1, key->end());
  return parts;
}

absl::StatusOr<NoteVerifier> ParseNoteVerifier(std::string_view vkey) {
  ASSIGN_OR_RETURN(VerifierKeyParts parts, SplitVerifierKey(vkey));
  if (parts.type != kNoteEd25519Type || parts.public_key.size() != 32) {
    return absl::InvalidArgumentError("verifier key: not an Ed25519 key");
  }
  NoteVerifier v;
  v.name = std::move(parts.name);
  v.key_id = parts.key_id;
  std::copy(parts.public_key.begin(), parts.public_key.end(), v.public_key.begin());
  if (NoteKeyId(v.name, v.public_key) != v.key_id) {
    return absl::InvalidArgumentError("verifier key: key ID does not match name and key");
  }
  return v;
}

std::string FormatNoteVerifier(const NoteVerifier& verifier) {
  Bytes key = {kNoteEd25519Type};
  key.insert(key.end(), verifier.public_key.begin(), verifier.public_key.end());
  return fmt::format("{}+{:08x}+{}", verifier.name, verifier.key_id, Base64Encode(key));
}

absl::StatusOr<Note> ParseNote(std::string_view signed_note) {
  if (!IsCleanText(signed_note)) return Malformed("invalid UTF-8 or control character");
  if (!signed_note.ends_with('\n')) return Malformed("does not end in a newline");
  // The text ends at the last blank line; everything after is signature lines.
  const size_t blank = signed_note.rfind("\n\n");
  if (blank == std::string_view::npos) return Malformed("no blank line before signatures");
  Note note;
  note.text = std::string(signed_note.substr(0, blank + 1));
  std::string_view sigs = signed_note.substr(blank + 2);
  if (sigs.empty()) return Malformed("no signatures");
  while (!sigs.empty()) {
    const size_t eol = sigs.find('\n');  // present: the note ends in a newline
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (note.signatures.size() == kMaxNoteSignatures) return Malformed("too many signatures");
    if (!line.starts_with(kEmDashSpace)) return Malformed("signature line without em dash");
    line.remove_prefix(kEmDashSpace.size());
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return Malformed("signature line without signature");
    NoteSignature sig;
    sig.name = std::string(line.substr(0, space));
    if (!IsValidNoteKeyName(sig.name)) return Malformed("bad key name in signature line");
    const std::optional<Bytes> raw = Base64Decode(line.substr(space + 1));
    if (!raw || raw->size() < 5) return Malformed("bad signature encoding");
    sig.key_id = ReadU32(raw->data());
    sig.signature.assign(raw->begin() + 4, raw->end());
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

absl::StatusOr<std::string> OpenNote(std::string_view signed_note, const NoteVerifier& verifier) {
  ASSIGN_OR_RETURN(Note note, ParseNote(signed_note));
  bool verified = false;
  for (const NoteSignature& sig : note.signatures) {
    if (sig.name != verifier.name || sig.key_id != verifier.key_id) continue;
    if (!crypto::Ed25519Verify(verifier.public_key, AsBytes(note.text), sig.signature)) {
      return absl::UnauthenticatedError(
          fmt::format("signed note: signature by {} does not verify", verifier.name));
    }
    verified = true;
  }
  if (!verified) {
    return absl::UnauthenticatedError(
        fmt::format("signed note: no signature by {}+{:08x}", verifier.name, verifier.key_id));
  }
  return std::move(note.text);
}

absl::StatusOr<std::string> SignNote(std::string_view text, std::string_view name, ByteView seed) {
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(seed));
  return SignNoteWith(text, name, pub, [seed](ByteView message) -> absl::StatusOr<Bytes> {
    ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, crypto::Ed25519Sign(seed, message));
    return Bytes(sig.begin(), sig.end());
  });
}

absl::StatusOr<std::string> SignNoteWith(std::string_view text, std::string_view name,
                                         ByteView public_key, const NoteSignFn& sign) {
  if (public_key.size() != 32) {
    return absl::InvalidArgumentError("an Ed25519 public key is 32 bytes");
  }
  ASSIGN_OR_RETURN(Bytes sig, sign(AsBytes(text)));
  if (sig.size() != 64) {
    return absl::InternalError("the signer returned a signature that is not 64 bytes");
  }
  Bytes raw;
  AppendU32(raw, NoteKeyId(name, public_key));
  raw.insert(raw.end(), sig.begin(), sig.end());
  return fmt::format("{}\n{}{} {}\n", text, kEmDashSpace, name, Base64Encode(raw));
}

}  // namespace domicile::tlog
