#include "audit/test_log_writer.h"

#include <fstream>

#include "crypto/ed25519.h"
#include "fmt/format.h"
#include "tlog/entry_bundle.h"
#include "tlog/note.h"
#include "tlog/tile_path.h"
#include "util/status_macros.h"

namespace domicile::audit::testing {

absl::StatusOr<TestLogWriter> TestLogWriter::Create(std::filesystem::path dir, std::string origin,
                                                    Bytes seed) {
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(seed));
  TestLogWriter w;
  w.dir_ = std::move(dir);
  tlog::NoteVerifier v;
  v.name = origin;
  v.key_id = tlog::NoteKeyId(origin, pub);
  v.public_key = pub;
  w.verifier_key_ = tlog::FormatNoteVerifier(v);
  w.origin_ = std::move(origin);
  w.seed_ = std::move(seed);
  return w;
}

void TestLogWriter::Append(Bytes entry) {
  levels_[0].push_back(tlog::LeafHash(entry));
  entries_.push_back(std::move(entry));
  for (size_t l = 0; levels_[l].size() % 256 == 0; ++l) {
    if (levels_.size() == l + 1) levels_.emplace_back();
    std::span<const tlog::Hash> tile = std::span(levels_[l]).last(256);
    levels_[l + 1].push_back(tlog::RootFromLeafHashes(tile));
  }
}

tlog::Hash TestLogWriter::Root() const { return tlog::RootFromLeafHashes(levels_[0]); }

absl::Status TestLogWriter::WriteFile(const std::string& rel, ByteView data) const {
  const std::filesystem::path path = dir_ / rel;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) return absl::InternalError(fmt::format("cannot write {}", path.string()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> TestLogWriter::Publish() {
  full_written_.resize(levels_.size(), 0);
  for (size_t l = 0; l < levels_.size(); ++l) {
    const std::vector<tlog::Hash>& hashes = levels_[l];
    const uint64_t tiles = (hashes.size() + 255) / 256;
    for (uint64_t t = full_written_[l]; t < tiles; ++t) {
      const uint64_t width = std::min<uint64_t>(256, hashes.size() - t * 256);
      const auto partial = static_cast<uint8_t>(width == 256 ? 0 : width);
      Bytes tile;
      for (uint64_t i = 0; i < width; ++i) {
        tile.insert(tile.end(), hashes[t * 256 + i].begin(), hashes[t * 256 + i].end());
      }
      RETURN_IF_ERROR(WriteFile(tlog::TilePath(static_cast<int>(l), t, partial), tile));
      if (l == 0) {
        std::vector<Bytes> bundle(entries_.begin() + t * 256, entries_.begin() + t * 256 + width);
        RETURN_IF_ERROR(WriteFile(tlog::EntriesPath(t, partial), tlog::FormatEntryBundle(bundle)));
      }
      if (width == 256) full_written_[l] = t + 1;
    }
  }
  ASSIGN_OR_RETURN(std::string note, Sign({origin_, size(), Root(), {}}));
  RETURN_IF_ERROR(WriteFile("checkpoint", AsBytes(note)));
  return note;
}

absl::StatusOr<std::string> TestLogWriter::Sign(const tlog::Checkpoint& checkpoint) const {
  return tlog::SignNote(tlog::FormatCheckpoint(checkpoint), origin_, seed_);
}

}  // namespace domicile::audit::testing
