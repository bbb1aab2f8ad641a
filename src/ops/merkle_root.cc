#include "ops/merkle_root.h"

#include <bit>

#include "util/encoding.h"

namespace domicile::ops {

void MerkleRoot::AddLeafHash(const Hash& leaf) {
  // Each trailing one bit of size_ is a perfect subtree the new leaf completes: merge them.
  Hash node = leaf;
  for (uint64_t n = size_; (n & 1) == 1; n >>= 1) {
    node = tlog::NodeHash(stack_.back(), node);
    stack_.pop_back();
  }
  stack_.push_back(node);
  ++size_;
}

Hash MerkleRoot::Root() const {
  if (stack_.empty()) return tlog::EmptyRoot();
  // Right to left: the smaller subtrees hang on the right of the larger ones.
  Hash acc = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) acc = tlog::NodeHash(stack_[i], acc);
  return acc;
}

std::string MerkleRoot::Save() const {
  Bytes out;
  AppendU64(out, size_);
  for (const Hash& h : stack_) out.insert(out.end(), h.begin(), h.end());
  return ToString(out);
}

absl::StatusOr<MerkleRoot> MerkleRoot::Load(std::string_view state) {
  ByteReader reader(AsBytes(state));
  MerkleRoot r;
  if (!reader.ReadU64(r.size_)) return absl::DataLossError("merkle root state is malformed");
  const size_t hashes = static_cast<size_t>(std::popcount(r.size_));
  ByteView rest = reader.Rest();
  if (rest.size() != hashes * 32) return absl::DataLossError("merkle root state is malformed");
  r.stack_.resize(hashes);
  for (size_t i = 0; i < hashes; ++i) std::copy_n(rest.begin() + i * 32, 32, r.stack_[i].begin());
  return r;
}

}  // namespace domicile::ops
