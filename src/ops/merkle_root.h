// MerkleRoot: the RFC 6962 Merkle Tree Hash of a sequence of leaves, computed as they stream
// by in constant memory (one hash per set bit of the count: a compact range). Migrations use it
// to prove that both sides hold the same records, backups to seal their manifests. Its state
// can be saved and restored, so a long computation survives an interruption.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tlog/merkle.h"
#include "util/bytes.h"

namespace domicile::ops {

using tlog::Hash;

class MerkleRoot {
 public:
  MerkleRoot() = default;

  // Appends the leaf holding `entry` (its hash is SHA-256(0x00 || entry)).
  void Add(ByteView entry) { AddLeafHash(tlog::LeafHash(entry)); }
  void AddLeafHash(const Hash& leaf);

  uint64_t size() const { return size_; }
  // The Merkle Tree Hash of the leaves so far (SHA-256 of "" when there are none).
  Hash Root() const;

  // The state as bytes (u64 size, then one hash per set bit of size), and back. DataLoss if
  // `state` is malformed.
  std::string Save() const;
  static absl::StatusOr<MerkleRoot> Load(std::string_view state);

 private:
  uint64_t size_ = 0;
  // The roots of the perfect subtrees covering [0, size_), largest (leftmost) first.
  std::vector<Hash> stack_;
};

}  // namespace domicile::ops
