// Test helper: reads a node's transparency log over HTTP as any tlog-tiles client would — the
// signed checkpoint, and every tile and entry bundle of a tree size — and can write them into a
// directory laid out as tlog-tiles, for `audit verify --dir` and tamper tests.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"

namespace domicile::testing {

class LogMirror {
 public:
  explicit LogMirror(std::string node_url) : url_(std::move(node_url)) {}

  // The node's current checkpoint, verified with `verifier`.
  absl::StatusOr<tlog::Checkpoint> Checkpoint(const tlog::NoteVerifier& verifier) const;
  // Polls until a verified checkpoint of at least `size` entries is published (up to 30 s);
  // returns its size. DeadlineExceeded otherwise.
  absl::StatusOr<uint64_t> WaitForSize(const tlog::NoteVerifier& verifier, uint64_t size) const;
  // Fetches the checkpoint and every tile and entry bundle of a tree of `size` entries and
  // writes them under `dir`. The checkpoint served must be of exactly that size.
  absl::Status WriteTo(const std::filesystem::path& dir, uint64_t size) const;

 private:
  absl::StatusOr<std::string> Get(const std::string& path) const;
  std::string url_;
};

std::string Slurp(const std::filesystem::path& path);
void Overwrite(const std::filesystem::path& path, const std::string& bytes);

}  // namespace domicile::testing
