// A minimal tlog-tiles log writer built on the tlog primitives, for tests and benchmarks only:
// it appends entries in memory and publishes the log to a directory as a real log does
// (checkpoint, full tiles and bundles once, the partial ones of every published size), so
// the auditor can be run against logs of any size and shape, and against forks and tampering.
// Not crash-safe and not fast; nothing outside tests may use it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "util/bytes.h"

namespace domicile::audit::testing {

class TestLogWriter {
 public:
  // A log named `origin` (also the key name) signed with the 32-byte Ed25519 `seed`, published
  // under `dir`. InvalidArgument for a bad seed.
  static absl::StatusOr<TestLogWriter> Create(std::filesystem::path dir, std::string origin,
                                              Bytes seed);

  // The C2SP verifier key string of the log.
  const std::string& verifier_key() const { return verifier_key_; }
  const std::filesystem::path& dir() const { return dir_; }
  uint64_t size() const { return levels_[0].size(); }
  const std::vector<Bytes>& entries() const { return entries_; }

  // REQUIRES: entry.size() <= 65535.
  void Append(Bytes entry);

  // The root of the current tree (tlog::RootFromLeafHashes).
  tlog::Hash Root() const;

  // Writes every tile and bundle of the current size not yet written and the signed checkpoint
  // to dir/checkpoint; returns the signed checkpoint.
  absl::StatusOr<std::string> Publish();

  // Signs any checkpoint text with the log's key (to forge checkpoints in tests).
  absl::StatusOr<std::string> Sign(const tlog::Checkpoint& checkpoint) const;

 private:
  TestLogWriter() = default;
  absl::Status WriteFile(const std::string& rel, ByteView data) const;

  std::filesystem::path dir_;
  std::string origin_;
  Bytes seed_;
  std::string verifier_key_;
  std::vector<Bytes> entries_;
  // levels_[l]: the complete level-l hashes (level 0: leaf hashes).
  std::vector<std::vector<tlog::Hash>> levels_{1};
  // Full tiles (and bundles, for level 0) already written, per level.
  std::vector<uint64_t> full_written_;
};

}  // namespace domicile::audit::testing
