#include "vault/network_map.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "fmt/format.h"

namespace domicile::vault {
namespace {

// Parses an IPv4 or IPv6 address into its 128-bit form; `v4` says which it was.
std::optional<std::array<uint8_t, 16>> ParseAddress(std::string_view text, bool& v4) {
  std::string s(text);
  std::array<uint8_t, 16> out{};
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    v4 = true;
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &a4, 4);
    return out;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    v4 = false;
    std::memcpy(out.data(), &a6, 16);
    return out;
  }
  return std::nullopt;
}

bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.data(), b.data(), size_t(full)) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

absl::Status NetworkMap::Add(std::string_view cidr, std::string_view jurisdiction) {
  size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a CIDR block such as 10.20.0.0/16", cidr));
  }
  bool v4 = false;
  std::optional<std::array<uint8_t, 16>> address = ParseAddress(cidr.substr(0, slash), v4);
  std::string_view bits = cidr.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  const int max = v4 ? 32 : 128;
  if (!address.has_value() || ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 ||
      prefix > max) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a CIDR block such as 10.20.0.0/16 or 2001:db8::/32", cidr));
  }
  Block block{*address, v4 ? prefix + 96 : prefix, std::string(jurisdiction)};
  for (int bit = block.prefix; bit < 128; ++bit) {
    if (block.address[bit / 8] & (0x80 >> (bit % 8))) {
      return absl::InvalidArgumentError(
          fmt::format("'{}' has address bits set past its prefix length", cidr));
    }
  }
  for (const Block& b : blocks_) {
    if (b.prefix == block.prefix && b.address == block.address) {
      return absl::InvalidArgumentError(fmt::format("block '{}' is listed twice", cidr));
    }
  }
  blocks_.push_back(std::move(block));
  std::stable_sort(blocks_.begin(), blocks_.end(),
                   [](const Block& a, const Block& b) { return a.prefix > b.prefix; });
  return absl::OkStatus();
}

std::string_view NetworkMap::Lookup(std::string_view ip) const {
  if (blocks_.empty()) return "";
  bool v4 = false;
  std::optional<std::array<uint8_t, 16>> address = ParseAddress(ip, v4);
  if (!address.has_value()) return "";
  for (const Block& b : blocks_) {
    if (PrefixMatches(*address, b.address, b.prefix)) return b.jurisdiction;
  }
  return "";
}

}  // namespace domicile::vault
