#include "access/approval.h"

#include <algorithm>

#include "crypto/constant_time.h"
#include "crypto/ed25519.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::access {
namespace {

constexpr std::string_view kPrivatePrefix = "PRIVATE+KEY+";

absl::Status ValidateKeyName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("an approver key needs a name");
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == '+') {
      return absl::InvalidArgumentError(fmt::format(
          "approver key name '{}' must be printable ASCII without spaces or '+'", name));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ApprovalStatement(const Grant& g) {
  std::vector<std::string> actions;
  for (vault::Action a : g.actions) actions.emplace_back(vault::ActionName(a));
  std::sort(actions.begin(), actions.end());
  std::string joined;
  for (const std::string& a : actions) joined += (joined.empty() ? "" : ",") + a;
  return fmt::format(
      "domicile grant approval v1\nid {}\nrequester {}\nscope {}\nclass {}\nactions {}\n"
      "purpose {}\nexpires {}\nbreak-glass {}\n",
      g.id, g.requester, g.Scope(), vault::ClassificationName(g.classification), joined, g.purpose,
      FormatTime(g.expires), g.break_glass ? "yes" : "no");
}

absl::StatusOr<ApproverKey> GenerateApproverKey(std::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name));
  ApproverKey key;
  key.name = std::string(name);
  ASSIGN_OR_RETURN(key.seed, crypto::Ed25519GenerateSeed());
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(key.seed.view()));
  key.verifier.name = key.name;
  std::copy(pub.begin(), pub.end(), key.verifier.public_key.begin());
  key.verifier.key_id = tlog::NoteKeyId(key.name, pub);
  return key;
}

std::string FormatApproverKey(const ApproverKey& key) {
  Bytes raw;
  raw.push_back(tlog::kNoteEd25519Type);
  raw.insert(raw.end(), key.seed.view().begin(), key.seed.view().end());
  std::string out = fmt::format("{}{}+{:08x}+{}\n", kPrivatePrefix, key.name, key.verifier.key_id,
                                Base64Encode(raw));
  std::fill(raw.begin(), raw.end(), 0);
  return out;
}

absl::StatusOr<ApproverKey> ParseApproverKey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const absl::Status malformed = absl::InvalidArgumentError(
      "not an approver key: expected PRIVATE+KEY+<name>+<key id>+<key> (made by domicile "
      "keygen)");
  if (!text.starts_with(kPrivatePrefix)) return malformed;
  text.remove_prefix(kPrivatePrefix.size());
  // Names hold no '+' and the key id is 8 hex digits; the base64 key may hold '+'.
  const size_t middle = text.find('+');
  if (middle == std::string_view::npos || text.size() < middle + 10 || text[middle + 9] != '+') {
    return malformed;
  }
  const size_t last = middle + 9;
  ApproverKey key;
  key.name = std::string(text.substr(0, middle));
  RETURN_IF_ERROR(ValidateKeyName(key.name));
  const std::string_view hex_id = text.substr(middle + 1, 8);
  std::optional<Bytes> raw = Base64Decode(text.substr(last + 1));
  if (hex_id.size() != 8 || !raw.has_value() || raw->size() != 33 ||
      (*raw)[0] != tlog::kNoteEd25519Type) {
    return malformed;
  }
  key.seed = crypto::SecretBytes(32);
  std::copy(raw->begin() + 1, raw->end(), key.seed.data());
  std::fill(raw->begin(), raw->end(), 0);
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(key.seed.view()));
  key.verifier.name = key.name;
  std::copy(pub.begin(), pub.end(), key.verifier.public_key.begin());
  key.verifier.key_id = tlog::NoteKeyId(key.name, pub);
  if (fmt::format("{:08x}", key.verifier.key_id) != hex_id) {
    return absl::InvalidArgumentError("approver key: the key id does not match the key");
  }
  return key;
}

absl::StatusOr<std::string> SignApproval(const Grant& grant, const ApproverKey& key) {
  return tlog::SignNote(ApprovalStatement(grant), key.name, key.seed.view());
}

absl::Status VerifyApproval(std::string_view signed_note, const Grant& grant,
                            const tlog::NoteVerifier& approver_key) {
  absl::StatusOr<std::string> text = tlog::OpenNote(signed_note, approver_key);
  if (!text.ok()) {
    if (absl::IsInvalidArgument(text.status())) return text.status();
    return absl::UnauthenticatedError(
        fmt::format("the approval is not signed by {}'s approval key ({})", approver_key.name,
                    std::string(text.status().message())));
  }
  const std::string expected = ApprovalStatement(grant);
  if (!crypto::ConstantTimeEquals(AsBytes(*text), AsBytes(expected))) {
    return absl::UnauthenticatedError(fmt::format(
        "the signed statement is not the statement of grant {} (it names another grant, scope "
        "or expiry)",
        grant.id));
  }
  return absl::OkStatus();
}

}  // namespace domicile::access
