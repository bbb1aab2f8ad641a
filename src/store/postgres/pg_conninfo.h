// A PostgreSQL connection string (a libpq URL "postgres://user@host:port/db?..." or
// "key=value ..." string), checked once before anything connects with it, with a description
// that is safe to show. A connection string may carry a password: it is handed to libpq and
// nowhere else, never logged and never put in an error.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace domicile::store::postgres {

class Conninfo {
 public:
  // Parses `text` with libpq's own parser. InvalidArgument when libpq cannot parse it; the
  // error quotes no part of `text` (a malformed string may hold a password anywhere).
  static absl::StatusOr<Conninfo> Parse(std::string_view text);

  // The string as given: for libpq only.
  const std::string& text() const { return text_; }

  // "postgres://user@host:port/db" with what libpq would use by default left out; no password
  // and no other parameter.
  const std::string& description() const { return description_; }

  // `message` with the password (if the string has one) replaced by "***": libpq's own
  // messages do not quote it, and this keeps it that way whatever they become.
  std::string Redact(std::string_view message) const;

 private:
  std::string text_;
  std::string description_;
  std::string password_;
};

}  // namespace domicile::store::postgres
