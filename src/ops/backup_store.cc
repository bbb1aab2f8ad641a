#include "ops/backup_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "fmt/format.h"
#include "ops/backup_format.h"
#include "util/bytes.h"
#include "util/file.h"
#include "util/status_macros.h"

namespace domicile::ops {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestFile = "manifest.json";

// Makes the entries of directory `dir` durable (a new file or subdirectory in it survives a
// power loss).
absl::Status SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(
        fmt::format("cannot open directory {}: {}", dir.string(), std::strerror(errno)));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return absl::InternalError(
        fmt::format("cannot fsync directory {}: {}", dir.string(), std::strerror(err)));
  }
  return absl::OkStatus();
}

// Reads a whole chunk file into a buffer sized once from the file's size (ReadFileToString
// grows its buffer as it reads, which costs more than the read itself at 64 MiB).
absl::StatusOr<std::string> ReadWholeFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(fmt::format("no file {}", path.string()));
    return absl::InternalError(
        fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  struct stat st;
  std::string out;
  size_t done = 0;
  bool ok = ::fstat(fd, &st) == 0;
  if (ok) out.resize(static_cast<size_t>(st.st_size));
  while (ok && done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  const int err = errno;
  ::close(fd);
  if (!ok) {
    return absl::InternalError(
        fmt::format("cannot read {}: {}", path.string(),
                    done < out.size() && err == 0 ? "file shrank" : std::strerror(err)));
  }
  return out;
}

std::string KvChunkKey(std::string_view id, uint32_t index) {
  return fmt::format("b/{}/chunk/{:05d}", id, index);
}
std::string KvManifestKey(std::string_view id) { return fmt::format("b/{}/manifest", id); }
constexpr std::string_view kKvIndexPrefix = "bi/";

}  // namespace

DirectoryBackupStore::DirectoryBackupStore(fs::path root, size_t chunk_bytes)
    : root_(std::move(root)), chunk_bytes_(chunk_bytes) {}

absl::StatusOr<fs::path> DirectoryBackupStore::MakeBackupDir(std::string_view id) {
  RETURN_IF_ERROR(ValidateBackupId(id));
  fs::path dir = root_ / std::string(id);
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return dir;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        fmt::format("cannot create backup directory {}: {}", dir.string(), ec.message()));
  }
  RETURN_IF_ERROR(SyncDirectory(root_));
  return dir;
}

absl::Status DirectoryBackupStore::WriteChunk(std::string_view id, uint32_t index,
                                              std::string_view data) {
  ASSIGN_OR_RETURN(fs::path dir, MakeBackupDir(id));
  return WriteFileAtomically(dir / (ChunkName(index) + ".bin"), AsBytes(data));
}

absl::Status DirectoryBackupStore::WriteManifest(std::string_view id, std::string_view manifest) {
  ASSIGN_OR_RETURN(fs::path dir, MakeBackupDir(id));
  return WriteFileAtomically(dir / kManifestFile, AsBytes(manifest));
}

absl::StatusOr<std::string> DirectoryBackupStore::ReadChunk(std::string_view id,
                                                            uint32_t index) const {
  RETURN_IF_ERROR(ValidateBackupId(id));
  return ReadWholeFile(root_ / std::string(id) / (ChunkName(index) + ".bin"));
}

absl::StatusOr<std::string> DirectoryBackupStore::ReadManifest(std::string_view id) const {
  RETURN_IF_ERROR(ValidateBackupId(id));
  return ReadFileToString(root_ / std::string(id) / kManifestFile);
}

absl::StatusOr<std::vector<std::string>> DirectoryBackupStore::List() const {
  std::vector<std::string> ids;
  std::error_code ec;
  if (!fs::exists(root_, ec)) return ids;
  for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code file_ec;
    if (ValidateBackupId(name).ok() && fs::is_regular_file(it->path() / kManifestFile, file_ec)) {
      ids.push_back(name);
    }
  }
  if (ec) {
    return absl::InternalError(
        fmt::format("cannot list backups in {}: {}", root_.string(), ec.message()));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

KvBackupStore::KvBackupStore(store::KvStore* kv, size_t chunk_bytes)
    : kv_(kv), chunk_bytes_(chunk_bytes) {}

absl::Status KvBackupStore::WriteChunk(std::string_view id, uint32_t index, std::string_view data) {
  RETURN_IF_ERROR(ValidateBackupId(id));
  return kv_->Put(KvChunkKey(id, index), data);
}

absl::Status KvBackupStore::WriteManifest(std::string_view id, std::string_view manifest) {
  RETURN_IF_ERROR(ValidateBackupId(id));
  store::WriteBatch batch;
  batch.Put(KvManifestKey(id), manifest);
  batch.Put(fmt::format("{}{}", kKvIndexPrefix, id), "");
  return kv_->Write(batch);
}

absl::StatusOr<std::string> KvBackupStore::ReadChunk(std::string_view id, uint32_t index) const {
  RETURN_IF_ERROR(ValidateBackupId(id));
  absl::StatusOr<std::string> chunk = kv_->Get(KvChunkKey(id, index));
  if (absl::IsNotFound(chunk.status())) {
    return absl::NotFoundError(fmt::format("backup {} has no {}", id, ChunkName(index)));
  }
  return chunk;
}

absl::StatusOr<std::string> KvBackupStore::ReadManifest(std::string_view id) const {
  RETURN_IF_ERROR(ValidateBackupId(id));
  absl::StatusOr<std::string> manifest = kv_->Get(KvManifestKey(id));
  if (absl::IsNotFound(manifest.status())) {
    return absl::NotFoundError(fmt::format("backup {} has no manifest", id));
  }
  return manifest;
}

absl::StatusOr<std::vector<std::string>> KvBackupStore::List() const {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(kv_->Scan(kKvIndexPrefix, [&](std::string_view key, std::string_view) {
    ids.emplace_back(key.substr(kKvIndexPrefix.size()));
    return true;
  }));
  return ids;
}

}  // namespace domicile::ops
