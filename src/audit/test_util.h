// Helpers shared by the audit tests only: copying a log into a writable temporary directory,
// flipping a byte of a file, snapshotting a directory to prove it did not change.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "util/file.h"

namespace domicile::audit::testing {

// Copies the tree `from` to `to`, making every copy writable by its owner.
inline void CopyWritable(const std::filesystem::path& from, const std::filesystem::path& to) {
  namespace fs = std::filesystem;
  fs::copy(from, to, fs::copy_options::recursive);
  fs::permissions(to, fs::perms::owner_all, fs::perm_options::add);
  for (const auto& e : fs::recursive_directory_iterator(to)) {
    fs::permissions(e.path(), e.is_directory() ? fs::perms::owner_all : fs::perms::owner_write,
                    fs::perm_options::add);
  }
}

// Reads `path` whole ("" and a test failure if it cannot).
inline std::string ReadOrFail(const std::filesystem::path& path) {
  absl::StatusOr<std::string> s = ReadFileToString(path);
  EXPECT_TRUE(s.ok()) << path << ": " << s.status();
  return s.ok() ? *s : std::string();
}

inline void WriteOrFail(const std::filesystem::path& path, std::string_view data) {
  ASSERT_TRUE(WriteFileAtomically(path, AsBytes(data), 0644).ok()) << path;
}

// XORs the byte at `offset` (from the end if negative) of `path` with 0x01.
inline void FlipByte(const std::filesystem::path& path, long offset) {
  std::string data = ReadOrFail(path);
  ASSERT_FALSE(data.empty()) << path;
  const size_t at = offset >= 0 ? size_t(offset) : data.size() - size_t(-offset);
  ASSERT_LT(at, data.size()) << path;
  data[at] = static_cast<char>(data[at] ^ 0x01);
  WriteOrFail(path, data);
}

// Every regular file under `dir` (relative path -> contents).
inline std::map<std::string, std::string> Snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out[std::filesystem::relative(e.path(), dir).string()] = ReadOrFail(e.path());
    }
  }
  return out;
}

}  // namespace domicile::audit::testing
