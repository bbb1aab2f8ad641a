#include "audit/audit_state.h"

#include <system_error>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "tlog/entry_bundle.h"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/file.h"
#include "util/status_macros.h"

namespace domicile::audit {
namespace {

constexpr int kStateVersion = 1;
constexpr unsigned kFileMode = 0644;

absl::Status Damaged(const std::filesystem::path& file, std::string_view why) {
  return absl::DataLossError(fmt::format("audit state {} is damaged: {}", file.string(), why));
}

absl::Status MakeDirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<AuditState>> LoadAuditState(const std::filesystem::path& dir,
                                                         const tlog::NoteVerifier* key) {
  const std::filesystem::path file = dir / kStateFileName;
  absl::StatusOr<std::string> text = ReadFileToString(file);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  RETURN_IF_ERROR(text.status());
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Damaged(file, "not a JSON object");
  if (j.value("version", 0) != kStateVersion) {
    return Damaged(file, fmt::format("version is not {}", kStateVersion));
  }
  if (!j.contains("checkpoint") || !j["checkpoint"].is_string() || !j.contains("compact_range") ||
      !j["compact_range"].is_array()) {
    return Damaged(file, "wants \"checkpoint\" and \"compact_range\"");
  }
  AuditState state;
  state.note = j["checkpoint"].get<std::string>();
  if (key != nullptr) {
    absl::StatusOr<tlog::Checkpoint> cp = tlog::OpenCheckpoint(state.note, *key);
    if (!cp.ok()) {
      return absl::FailedPreconditionError(fmt::format(
          "the checkpoint in {} does not verify with this key ({}): is it the state of another "
          "log?",
          file.string(), std::string(cp.status().message())));
    }
    state.checkpoint = std::move(*cp);
  } else {
    absl::StatusOr<tlog::Note> note = tlog::ParseNote(state.note);
    if (!note.ok()) return Damaged(file, std::string(note.status().message()));
    absl::StatusOr<tlog::Checkpoint> cp = tlog::ParseCheckpoint(note->text);
    if (!cp.ok()) return Damaged(file, std::string(cp.status().message()));
    state.checkpoint = std::move(*cp);
  }
  std::vector<Hash> hashes;
  for (const nlohmann::json& h : j["compact_range"]) {
    std::optional<Bytes> raw = h.is_string() ? HexDecode(h.get<std::string>()) : std::nullopt;
    if (!raw || raw->size() != 32) return Damaged(file, "a compact range hash is not 32 bytes");
    Hash hash;
    std::copy(raw->begin(), raw->end(), hash.begin());
    hashes.push_back(hash);
  }
  absl::StatusOr<CompactRange> range =
      CompactRange::FromHashes(state.checkpoint.size, std::move(hashes));
  if (!range.ok()) return Damaged(file, std::string(range.status().message()));
  TreeHasher hasher;
  if (range->Root(hasher) != state.checkpoint.root) {
    return Damaged(file, "its compact range does not hash to its checkpoint's root");
  }
  state.range = std::move(*range);
  return state;
}

absl::Status CommitAuditState(const std::filesystem::path& dir, const AuditState& state,
                              std::span<const FetchedBundle> bundles, uint64_t old_size) {
  for (const FetchedBundle& b : bundles) {
    const std::filesystem::path path = dir / tlog::EntriesPath(b.index, b.width);
    RETURN_IF_ERROR(MakeDirs(path.parent_path()));
    RETURN_IF_ERROR(WriteFileAtomically(path, AsBytes(b.bytes), kFileMode));
  }
  nlohmann::json hashes = nlohmann::json::array();
  for (const Hash& h : state.range.hashes()) hashes.push_back(HexEncode(h));
  const nlohmann::json j = {{"version", kStateVersion},
                            {"origin", state.checkpoint.origin},
                            {"size", state.checkpoint.size},
                            {"checkpoint", state.note},
                            {"compact_range", hashes}};
  RETURN_IF_ERROR(MakeDirs(dir));
  RETURN_IF_ERROR(WriteFileAtomically(dir / kStateFileName, AsBytes(j.dump(2) + "\n"), kFileMode));
  // The old partial bundle is superseded by the bundles just written; keeping it is harmless.
  const uint64_t new_size = state.checkpoint.size;
  if (old_size % 256 != 0 &&
      (new_size / 256 != old_size / 256 || new_size % 256 != old_size % 256)) {
    std::error_code ignored;
    std::filesystem::remove(
        dir / tlog::EntriesPath(old_size / 256, static_cast<uint8_t>(old_size % 256)), ignored);
  }
  return absl::OkStatus();
}

absl::Status ForEachMirroredEntry(const std::filesystem::path& dir, uint64_t size,
                                  const std::function<absl::Status(uint64_t, ByteView)>& fn) {
  for (uint64_t t = 0; t * 256 < size; ++t) {
    const uint64_t width = std::min<uint64_t>(256, size - t * 256);
    const std::string rel = tlog::EntriesPath(t, static_cast<uint8_t>(width == 256 ? 0 : width));
    absl::StatusOr<std::string> bundle = ReadFileToString(dir / rel);
    if (!bundle.ok()) {
      return absl::DataLossError(fmt::format("the verified mirror in {} lacks {}: {}", dir.string(),
                                             rel, std::string(bundle.status().message())));
    }
    absl::StatusOr<std::vector<Bytes>> entries = tlog::ParseEntryBundle(AsBytes(*bundle));
    if (!entries.ok() || entries->size() != width) {
      return absl::DataLossError(
          fmt::format("the verified mirror's {} in {} is damaged", rel, dir.string()));
    }
    for (uint64_t i = 0; i < width; ++i) RETURN_IF_ERROR(fn(t * 256 + i, (*entries)[i]));
  }
  return absl::OkStatus();
}

}  // namespace domicile::audit
