#include "log_mirror.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "fmt/format.h"
#include "http/client.h"
#include "tlog/tile_path.h"
#include "util/status_macros.h"

namespace domicile::testing {

absl::StatusOr<std::string> LogMirror::Get(const std::string& path) const {
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> client, http::Client::Create(url_));
  ASSIGN_OR_RETURN(http::ClientResponse r, client->Do("GET", path));
  if (r.status == 404) return absl::NotFoundError(path);
  if (r.status != 200) {
    return absl::InternalError(fmt::format("GET {}: {} {}", path, r.status, r.body));
  }
  return std::move(r.body);
}

absl::StatusOr<tlog::Checkpoint> LogMirror::Checkpoint(const tlog::NoteVerifier& verifier) const {
  ASSIGN_OR_RETURN(std::string note, Get("/log/checkpoint"));
  return tlog::OpenCheckpoint(note, verifier);
}

absl::StatusOr<uint64_t> LogMirror::WaitForSize(const tlog::NoteVerifier& verifier,
                                                uint64_t size) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  absl::Status last = absl::OkStatus();
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<tlog::Checkpoint> c = Checkpoint(verifier);
    if (c.ok() && c->size >= size) return c->size;
    if (!c.ok() && !absl::IsNotFound(c.status())) return c.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(fmt::format("no checkpoint of size >= {} within 30 s", size));
}

absl::Status LogMirror::WriteTo(const std::filesystem::path& dir, uint64_t size) const {
  ASSIGN_OR_RETURN(std::string checkpoint, Get("/log/checkpoint"));
  std::vector<std::pair<std::string, std::string>> files = {{"checkpoint", checkpoint}};
  auto fetch = [&](const std::string& path) -> absl::Status {
    ASSIGN_OR_RETURN(std::string body, Get("/log/" + path));
    files.emplace_back(path, std::move(body));
    return absl::OkStatus();
  };
  // Entry bundles.
  for (uint64_t n = 0; n < size / tlog::kTileWidth; ++n) {
    RETURN_IF_ERROR(fetch(tlog::EntriesPath(n, 0)));
  }
  if (size % tlog::kTileWidth != 0) {
    RETURN_IF_ERROR(fetch(tlog::EntriesPath(size / tlog::kTileWidth, size % tlog::kTileWidth)));
  }
  // Hash tiles of every level: level L holds the hashes of nodes at height 8L.
  for (int level = 0; level <= tlog::kMaxTileLevel; ++level) {
    const uint64_t nodes = size >> (8 * level);
    if (nodes == 0) break;
    for (uint64_t n = 0; n < nodes / tlog::kTileWidth; ++n) {
      RETURN_IF_ERROR(fetch(tlog::TilePath(level, n, 0)));
    }
    if (nodes % tlog::kTileWidth != 0) {
      RETURN_IF_ERROR(fetch(tlog::TilePath(level, nodes / tlog::kTileWidth,
                                           static_cast<uint8_t>(nodes % tlog::kTileWidth))));
    }
  }
  for (const auto& [path, body] : files) {
    std::filesystem::create_directories((dir / path).parent_path());
    Overwrite(dir / path, body);
  }
  return absl::OkStatus();
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void Overwrite(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::remove(path);
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace domicile::testing
