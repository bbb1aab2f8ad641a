#include "audit/compact_range.h"

#include <bit>

#include "fmt/format.h"

namespace domicile::audit {

std::vector<PerfectSubtree> PerfectSubtrees(uint64_t begin, uint64_t end) {
  std::vector<PerfectSubtree> out;
  while (begin < end) {
    // The largest power of two that divides `begin` (any, for 0) and fits in what is left.
    int height = std::bit_width(end - begin) - 1;
    if (begin != 0) height = std::min(height, std::countr_zero(begin));
    out.push_back({height, begin});
    begin += uint64_t{1} << height;
  }
  return out;
}

absl::StatusOr<CompactRange> CompactRange::FromHashes(uint64_t size, std::vector<Hash> hashes) {
  if (hashes.size() != static_cast<size_t>(std::popcount(size))) {
    return absl::InvalidArgumentError(
        fmt::format("compact range of size {} needs {} hashes, has {}", size, std::popcount(size),
                    hashes.size()));
  }
  CompactRange range;
  range.size_ = size;
  range.hashes_ = std::move(hashes);
  return range;
}

absl::Status CompactRange::Append(int height, const Hash& hash, TreeHasher& hasher) {
  if (height < 0 || height > 63) {
    return absl::InvalidArgumentError(fmt::format("subtree height {} out of range", height));
  }
  const uint64_t width = uint64_t{1} << height;
  if (size_ % width != 0 || size_ > UINT64_MAX - width) {
    return absl::InvalidArgumentError(
        fmt::format("cannot append a subtree of height {} at {}", height, size_));
  }
  // Binary addition: each carry merges the rightmost subtree with the new one.
  Hash carry = hash;
  uint64_t rest = size_;
  int h = height;
  while (rest != 0 && std::countr_zero(rest) == h) {
    carry = hasher.Node(hashes_.back(), carry);
    hashes_.pop_back();
    rest -= uint64_t{1} << h;
    ++h;
  }
  hashes_.push_back(carry);
  size_ += width;
  return absl::OkStatus();
}

}  // namespace domicile::audit
