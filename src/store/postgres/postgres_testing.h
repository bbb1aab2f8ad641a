// For tests that run against the throwaway PostgreSQL cluster that ctest starts (the fixture
// `postgres`, scripts/test-postgres). A test target joins it with domicile_test(... POSTGRES),
// or, for a test not made by domicile_test, with
//   set_tests_properties(T PROPERTIES ${DOMICILE_POSTGRES_TEST_PROPERTIES})
// and links domicile_postgres_testing.
//
// Without a server (a test binary run by hand, no DOMICILE_TEST_POSTGRES_URL) a test skips,
// saying why; with CI=true in the environment it fails instead, as make test starts the server.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace domicile::testing {

// The URL of the test server: $DOMICILE_TEST_POSTGRES_URL, else the content of the file that
// $DOMICILE_TEST_POSTGRES_URL_FILE names (ctest sets it). Unavailable, with what to do, when
// there is neither.
absl::StatusOr<std::string> TestPostgresUrl();

// True when a missing test server must fail a test rather than skip it (CI=true).
bool TestPostgresRequired();

// A store name no other test (in this process or another) uses: tests share one database.
// `hint` ([a-z0-9_], short) makes it readable in the server's logs.
std::string UniqueTestStoreName(std::string_view hint = "t");

// A fixture whose SetUp finds the test server (url()) or skips (fails under CI=true).
// A subclass's SetUp calls it first and returns if IsSkipped() or HasFatalFailure().
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  const std::string& url() const { return url_; }

 private:
  std::string url_;
};

}  // namespace domicile::testing
