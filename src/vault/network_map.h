// NetworkMap: which jurisdiction a request comes from, by the peer's address. The configuration
// maps CIDR blocks to jurisdictions ([network] "10.20.0.0/16" = "US"); the most specific block
// that contains the address wins. An address in no block has no source jurisdiction ("").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace domicile::vault {

class NetworkMap {
 public:
  // Adds "ADDRESS/PREFIX" (IPv4 or IPv6) for `jurisdiction`. InvalidArgument if malformed,
  // if bits are set past the prefix, or if the same block was already added.
  absl::Status Add(std::string_view cidr, std::string_view jurisdiction);

  // The jurisdiction of the most specific block containing `ip`, or "" for none (or for an
  // address that does not parse). IPv4-mapped IPv6 addresses match IPv4 blocks.
  std::string_view Lookup(std::string_view ip) const;

  bool empty() const { return blocks_.empty(); }

 private:
  struct Block {
    std::array<uint8_t, 16> address{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 0;                     // over the 128-bit form
    std::string jurisdiction;
  };
  std::vector<Block> blocks_;  // sorted by prefix, longest first
};

}  // namespace domicile::vault
