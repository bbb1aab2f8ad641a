#include "store/postgres/pg_scan.h"

#include <algorithm>
#include <cstdint>

namespace domicile::store::postgres {
namespace {

// A page aims at this many bytes of keys and values: enough rows that the round trip does not
// dominate, few enough that a scan's memory stays small whatever the values' size.
constexpr size_t kPageBytes = 4 << 20;
constexpr int kMinPageRows = 1;  // rows of megabytes: one at a time
constexpr int kMaxPageRows = 4096;

}  // namespace

std::string PrefixSuccessor(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<uint8_t>(bound.back()) == 0xff) bound.pop_back();
  if (!bound.empty()) bound.back() = static_cast<char>(static_cast<uint8_t>(bound.back()) + 1);
  return bound;
}

ScanRange::ScanRange(std::string_view prefix, std::string_view start, int first_rows)
    : lower_(std::max(prefix, start)), upper_(PrefixSuccessor(prefix)), limit_(first_rows) {}

PgConnection::Step ScanRange::PageStep(const StoreStatements& statements, std::string& limit) {
  limit = PgInt4(limit_);
  params_[0] = lower_;
  if (upper_.empty()) {
    params_[1] = limit;
    return {.statement = &statements.scan, .params = std::span(params_, 2)};
  }
  params_[1] = upper_;
  params_[2] = limit;
  return {.statement = &statements.scan_bounded, .params = std::span(params_, 3)};
}

absl::StatusOr<PgResult> ScanRange::ReadPage(PgConnection& connection,
                                             const StoreStatements& statements) const {
  const std::string limit = PgInt4(limit_);
  if (upper_.empty()) {
    const std::string_view params[] = {lower_, limit};
    return connection.Exec(statements.scan, params);
  }
  const std::string_view params[] = {lower_, upper_, limit};
  return connection.Exec(statements.scan_bounded, params);
}

int PageRowsAfter(const PgResult& page) {
  const int rows = page.rows();
  if (rows == 0) return kMaxPageRows;
  size_t bytes = 0;
  for (int r = 0; r < rows; ++r) bytes += page.Get(r, 0).size() + page.Get(r, 1).size();
  const size_t row_bytes = std::max<size_t>(1, bytes / static_cast<size_t>(rows));
  return static_cast<int>(std::clamp<size_t>(kPageBytes / row_bytes, kMinPageRows, kMaxPageRows));
}

bool ScanRange::Consume(const PgResult& page, const ScanFn& fn) {
  const int rows = page.rows();
  for (int r = 0; r < rows; ++r) {
    if (!fn(page.Get(r, 0), page.Get(r, 1))) return false;
  }
  if (rows < limit_) return false;
  // The smallest key after the page's last one is that key followed by a NUL byte.
  lower_.assign(page.Get(rows - 1, 0));
  lower_.push_back('\0');
  limit_ = PageRowsAfter(page);
  return true;
}

}  // namespace domicile::store::postgres
