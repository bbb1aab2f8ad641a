#include "tlog/checkpoint.h"

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

absl::Status Malformed(std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("malformed checkpoint: {}", why));
}

}  // namespace

absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (!text.ends_with('\n')) return Malformed("does not end in a newline");
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    lines.push_back(rest.substr(0, eol));
    rest.remove_prefix(eol + 1);
  }
  if (lines.size() < 3) return Malformed("fewer than three lines");
  for (std::string_view line : lines) {
    if (line.empty()) return Malformed("empty line");
  }
  Checkpoint cp;
  cp.origin = std::string(lines[0]);

  const std::string_view size = lines[1];
  if (size.size() > 20 || (size.size() > 1 && size[0] == '0') ||
      !std::all_of(size.begin(), size.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Malformed("tree size is not a canonical decimal");
  }
  for (char c : size) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (cp.size > (UINT64_MAX - d) / 10) return Malformed("tree size overflows");
    cp.size = cp.size * 10 + d;
  }

  const std::optional<Bytes> root = Base64Decode(lines[2]);
  if (!root || root->size() != cp.root.size()) return Malformed("root is not base64 of 32 bytes");
  std::copy(root->begin(), root->end(), cp.root.begin());

  for (size_t i = 3; i < lines.size(); ++i) cp.extensions.emplace_back(lines[i]);
  return cp;
}

std::string FormatCheckpoint(const Checkpoint& checkpoint) {
  std::string out = fmt::format("{}\n{}\n{}\n", checkpoint.origin, checkpoint.size,
                                Base64Encode(checkpoint.root));
  for (const std::string& ext : checkpoint.extensions) out += ext + "\n";
  return out;
}

absl::StatusOr<Checkpoint> OpenCheckpoint(std::string_view signed_note,
                                          const NoteVerifier& verifier) {
  ASSIGN_OR_RETURN(std::string text, OpenNote(signed_note, verifier));
  ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(text));
  if (cp.origin != verifier.name) {
    return absl::UnauthenticatedError(fmt::format(
        "checkpoint origin \"{}\" is not the key name \"{}\"", cp.origin, verifier.name));
  }
  return cp;
}

}  // namespace domicile::tlog
