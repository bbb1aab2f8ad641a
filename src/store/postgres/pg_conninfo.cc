#include "store/postgres/pg_conninfo.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "util/errors.h"

namespace domicile::store::postgres {
namespace {

// libpq's parse errors quote the offending part of the string ("missing \"=\" after \"...\"");
// that part could be a password, so every quoted span is replaced, unless it is punctuation
// alone (the "=" of that message).
std::string WithoutQuotedParts(std::string_view message) {
  std::string out;
  size_t at = 0;
  while (at < message.size()) {
    const size_t open = message.find('"', at);
    const size_t close = open == std::string_view::npos ? open : message.find('"', open + 1);
    if (close == std::string_view::npos) {
      out.append(message.substr(at));
      break;
    }
    const std::string_view quoted = message.substr(open + 1, close - open - 1);
    const bool harmless = std::all_of(quoted.begin(), quoted.end(), [](char c) {
      return std::ispunct(static_cast<unsigned char>(c)) != 0;
    });
    out.append(message.substr(at, open + 1 - at));
    out.append(harmless ? quoted : "...");
    out.push_back('"');
    at = close + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

absl::StatusOr<Conninfo> Conninfo::Parse(std::string_view text) {
  Conninfo info;
  info.text_ = std::string(text);
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(info.text_.c_str(), &error), &PQconninfoFree);
  if (options == nullptr) {
    std::string reason = error != nullptr ? WithoutQuotedParts(error) : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(
        ToAbsl(fmt::format("postgres: malformed connection string (not shown: it may hold a "
                           "password): {}",
                           reason)));
  }
  std::string host, port, dbname, user;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view keyword = o->keyword;
    if (keyword == "host" || keyword == "hostaddr") {
      if (host.empty()) host = o->val;
    } else if (keyword == "port") {
      port = o->val;
    } else if (keyword == "dbname") {
      dbname = o->val;
    } else if (keyword == "user") {
      user = o->val;
    } else if (keyword == "password") {
      info.password_ = o->val;
    }
  }
  info.description_ = fmt::format("postgres://{}{}{}{}{}", user, user.empty() ? "" : "@", host,
                                  port.empty() ? "" : ":", port);
  if (!dbname.empty()) info.description_ += "/" + dbname;
  return info;
}

std::string Conninfo::Redact(std::string_view message) const {
  std::string out(message);
  if (password_.empty()) return out;
  for (size_t at = out.find(password_); at != std::string::npos; at = out.find(password_, at + 3)) {
    out.replace(at, password_.size(), "***");
  }
  return out;
}

}  // namespace domicile::store::postgres
