// Reading a key range in pages (keyset pagination on the primary key), so that a scan of any
// size holds about one page in memory: each page starts just after the last key of the one
// before. Inside one REPEATABLE READ transaction the pages form one consistent view.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_statements.h"

namespace domicile::store::postgres {

// The smallest key greater than every key starting with `prefix`, or "" when there is none
// (`prefix` empty or made only of 0xff bytes), meaning "no upper bound".
std::string PrefixSuccessor(std::string_view prefix);

// How many rows the page after `page` should hold: about 4 MiB of rows like its own.
int PageRowsAfter(const PgResult& page);

class ScanRange {
 public:
  // The keys starting with `prefix` that are >= `start`; the first page holds `first_rows`,
  // each later one PageRowsAfter the one before.
  ScanRange(std::string_view prefix, std::string_view start, int first_rows);

  bool empty() const { return !upper_.empty() && lower_ >= upper_; }

  // Reads the next page on `connection`.
  absl::StatusOr<PgResult> ReadPage(PgConnection& connection,
                                    const StoreStatements& statements) const;
  // The statement that ReadPage runs and its parameters, for a pipeline. `limit` holds the
  // parameter's bytes and must outlive the step.
  PgConnection::Step PageStep(const StoreStatements& statements, std::string& limit);

  // Calls `fn` on each row of `page` (read by ReadPage or PageStep), then moves past it.
  // Returns true when more rows may follow: `fn` did not stop and the page was full.
  bool Consume(const PgResult& page, const ScanFn& fn);

 private:
  std::string lower_;  // the first key of the next page
  std::string upper_;  // "" for none
  std::string_view params_[3];
  int limit_;
};

}  // namespace domicile::store::postgres
