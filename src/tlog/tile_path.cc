#include "tlog/tile_path.h"

#include <cassert>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace domicile::tlog {
namespace {

std::string EncodeIndex(uint64_t index) {
  std::vector<unsigned> groups;
  do {
    groups.push_back(static_cast<unsigned>(index % 1000));
    index /= 1000;
  } while (index > 0);
  std::string out;
  for (size_t i = groups.size(); i-- > 0;) {
    out += fmt::format("{}{:03d}", i == 0 ? "" : "x", groups[i]);
    if (i != 0) out += '/';
  }
  return out;
}

std::string Suffix(uint8_t partial_width) {
  return partial_width == 0 ? std::string() : fmt::format(".p/{}", partial_width);
}

absl::Status Malformed(std::string_view path, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("malformed tile path \"{}\": {}", path, why));
}

// Parses a decimal with no leading zeroes and no sign, at most `max`.
bool ParseDecimal(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace

std::string TilePath(int level, uint64_t index, uint8_t partial_width) {
  assert(level >= 0 && level <= kMaxTileLevel);
  return fmt::format("tile/{}/{}{}", level, EncodeIndex(index), Suffix(partial_width));
}

std::string EntriesPath(uint64_t index, uint8_t partial_width) {
  return fmt::format("tile/entries/{}{}", EncodeIndex(index), Suffix(partial_width));
}

absl::StatusOr<TileRef> ParseTilePath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 3 || parts[0] != "tile") return Malformed(path, "not under tile/");
  TileRef ref;
  if (parts[1] == "entries") {
    ref.entries = true;
  } else {
    uint64_t level = 0;
    if (!ParseDecimal(parts[1], kMaxTileLevel, level)) return Malformed(path, "bad level");
    ref.level = static_cast<int>(level);
  }
  std::vector<std::string_view> groups(parts.begin() + 2, parts.end());
  // A partial tile ends in "<last group>.p/<W>".
  if (groups.size() >= 2 && groups[groups.size() - 2].ends_with(".p")) {
    uint64_t width = 0;
    if (!ParseDecimal(groups.back(), 255, width) || width == 0) {
      return Malformed(path, "bad partial width");
    }
    ref.partial_width = static_cast<uint8_t>(width);
    groups.pop_back();
    groups.back().remove_suffix(2);
  }
  // 2^64-1 has 20 digits: at most 7 groups.
  if (groups.empty() || groups.size() > 7) return Malformed(path, "bad index");
  uint64_t index = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    std::string_view g = groups[i];
    const bool last = i + 1 == groups.size();
    if (!last) {
      if (!g.starts_with('x')) return Malformed(path, "index group without 'x'");
      g.remove_prefix(1);
    }
    if (g.size() != 3) return Malformed(path, "index group not 3 digits");
    unsigned v = 0;
    for (char c : g) {
      if (c < '0' || c > '9') return Malformed(path, "non-digit in index");
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (index > (UINT64_MAX - v) / 1000) return Malformed(path, "index too large");
    index = index * 1000 + v;
  }
  ref.index = index;
  // Only the canonical spelling is accepted (no "x000/" prefix groups).
  const std::string canonical = ref.entries ? EntriesPath(ref.index, ref.partial_width)
                                            : TilePath(ref.level, ref.index, ref.partial_width);
  if (canonical != path) return Malformed(path, "not canonical");
  return ref;
}

}  // namespace domicile::tlog
