#include "crypto/openssl_error.h"

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fmt/format.h"

namespace domicile::crypto {

absl::Status OpenSslError(std::string_view what) {
  std::string reasons;
  unsigned long code = 0;
  const char* file = nullptr;
  int line = 0;
  while ((code = ERR_get_error_all(&file, &line, nullptr, nullptr, nullptr)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!reasons.empty()) reasons += "; ";
    reasons += buf;
  }
  if (reasons.empty()) reasons = "no OpenSSL error reported";
  return absl::InternalError(fmt::format("{}: {}", what, reasons));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

void FatalOpenSslError(std::string_view what) {
  const absl::Status status = OpenSslError(what);
  std::fprintf(stderr, "domicile: fatal crypto failure: %s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace domicile::crypto
