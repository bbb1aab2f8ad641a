#include "tlog/entry_bundle.h"

#include "absl/status/status.h"
#include "util/encoding.h"

namespace domicile::tlog {

absl::StatusOr<std::vector<Bytes>> ParseEntryBundle(ByteView bundle) {
  std::vector<Bytes> entries;
  ByteReader reader(bundle);
  while (!reader.AtEnd()) {
    ByteView entry;
    if (!reader.ReadLengthPrefixed16(entry)) {
      return absl::InvalidArgumentError("malformed entry bundle: truncated entry");
    }
    entries.emplace_back(entry.begin(), entry.end());
  }
  return entries;
}

Bytes FormatEntryBundle(const std::vector<Bytes>& entries) {
  Bytes out;
  for (const Bytes& e : entries) AppendLengthPrefixed16(out, e);
  return out;
}

}  // namespace domicile::tlog
