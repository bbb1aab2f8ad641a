#include "audit/tree_hasher.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>

namespace domicile::audit {

Hash TreeHasher::Leaf(ByteView entry) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  sha_.Update(ByteView(&kLeafPrefix, 1));
  sha_.Update(entry);
  return sha_.Finish();
}

Hash TreeHasher::Node(const Hash& left, const Hash& right) {
  std::array<uint8_t, 65> buf;
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf.begin() + 1);
  std::copy(right.begin(), right.end(), buf.begin() + 33);
  sha_.Update(buf);
  return sha_.Finish();
}

Hash TreeHasher::PerfectRoot(std::span<const Hash> hashes) {
  assert(std::has_single_bit(hashes.size()));
  if (hashes.size() == 1) return hashes[0];
  scratch_.assign(hashes.begin(), hashes.end());
  for (size_t n = scratch_.size(); n > 1; n /= 2) {
    for (size_t i = 0; i < n / 2; ++i) scratch_[i] = Node(scratch_[2 * i], scratch_[2 * i + 1]);
  }
  return scratch_[0];
}

Hash TreeHasher::Fold(std::span<const Hash> hashes) {
  if (hashes.empty()) return tlog::EmptyRoot();
  Hash acc = hashes.back();
  for (size_t i = hashes.size() - 1; i-- > 0;) acc = Node(hashes[i], acc);
  return acc;
}

}  // namespace domicile::audit
