#include "store/postgres/postgres_testing.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "util/errors.h"

namespace domicile::testing {

absl::StatusOr<std::string> TestPostgresUrl() {
  if (const char* url = std::getenv("DOMICILE_TEST_POSTGRES_URL"); url != nullptr && *url) {
    return std::string(url);
  }
  const char* file = std::getenv("DOMICILE_TEST_POSTGRES_URL_FILE");
  if (file == nullptr || *file == '\0') {
    return absl::UnavailableError(
        "no test PostgreSQL: run the test under ctest (make test starts a throwaway cluster), or "
        "start one with `scripts/test-postgres start DIR` and set "
        "DOMICILE_TEST_POSTGRES_URL=$(cat DIR/url)");
  }
  std::ifstream in(file);
  std::string url;
  if (!in || !std::getline(in, url) || url.empty()) {
    return absl::UnavailableError(ToAbsl(fmt::format(
        "no test PostgreSQL: {} is missing or empty; did ctest's postgres_start succeed?", file)));
  }
  return url;
}

bool TestPostgresRequired() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

std::string UniqueTestStoreName(std::string_view hint) {
  static const uint32_t process_nonce = std::random_device{}();
  static std::atomic<uint32_t> counter{0};
  return fmt::format("{}_{}_{:08x}_{}", hint.substr(0, 16), getpid(), process_nonce,
                     counter.fetch_add(1));
}

void PostgresTest::SetUp() {
  absl::StatusOr<std::string> url = TestPostgresUrl();
  if (!url.ok()) {
    if (TestPostgresRequired()) FAIL() << "CI=true but " << url.status().message();
    GTEST_SKIP() << url.status().message();
  }
  url_ = *url;
}

}  // namespace domicile::testing
