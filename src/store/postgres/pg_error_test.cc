#include "store/postgres/pg_error.h"

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/postgres/pg_conninfo.h"
#include "util/status_matchers.h"

namespace domicile::store::postgres {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(PgErrorTest, MapsSqlStatesToCodes) {
  const std::pair<std::string, absl::StatusCode> cases[] = {
      {"40001", absl::StatusCode::kAborted},
      {"40P01", absl::StatusCode::kAborted},
      {"23505", absl::StatusCode::kAlreadyExists},
      {"23503", absl::StatusCode::kInternal},  // another integrity violation
      {"08000", absl::StatusCode::kUnavailable},
      {"08006", absl::StatusCode::kUnavailable},
      {"57P01", absl::StatusCode::kUnavailable},
      {"57P02", absl::StatusCode::kUnavailable},
      {"57P03", absl::StatusCode::kUnavailable},
      {"57P04", absl::StatusCode::kInternal},
      {"25006", absl::StatusCode::kUnavailable},
      {"53100", absl::StatusCode::kResourceExhausted},
      {"53300", absl::StatusCode::kResourceExhausted},
      {"57014", absl::StatusCode::kDeadlineExceeded},
      {"42P01", absl::StatusCode::kInternal},
      {"XX000", absl::StatusCode::kInternal},
  };
  for (const auto& [sqlstate, code] : cases) {
    absl::Status s = PgError("get", sqlstate, "it failed\n");
    EXPECT_THAT(s, StatusIs(code, "postgres get: it failed (SQLSTATE " + sqlstate + ")"))
        << sqlstate;
    EXPECT_EQ(SqlStateOf(s).value_or(""), sqlstate);
    EXPECT_EQ(IsRetryableTransactionError(s), sqlstate == "40001" || sqlstate == "40P01");
  }
}

TEST(PgErrorTest, AnErrorWithoutSqlStateIsALostConnection) {
  absl::Status s = PgError("connect to x", "",
                           "connection to server failed: Connection refused\n\tIs the server "
                           "running on that host?\n");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                          "postgres connect to x: connection to server failed: Connection "
                          "refused Is the server running on that host?"));
  EXPECT_FALSE(SqlStateOf(s).has_value());
  EXPECT_FALSE(IsRetryableTransactionError(s));
  EXPECT_FALSE(IsRetryableTransactionError(absl::AbortedError("not from the server")));
}

TEST(ConninfoTest, DescribesWithoutThePassword) {
  ASSERT_OK_AND_ASSIGN(
      Conninfo url,
      Conninfo::Parse("postgres://alice:s3cret@db.example:6543/sites?sslmode=require"));
  EXPECT_EQ(url.description(), "postgres://alice@db.example:6543/sites");
  EXPECT_EQ(url.text(), "postgres://alice:s3cret@db.example:6543/sites?sslmode=require");
  EXPECT_EQ(url.Redact("login as alice with s3cret failed: s3cret"),
            "login as alice with *** failed: ***");

  ASSERT_OK_AND_ASSIGN(Conninfo keywords, Conninfo::Parse("host=/run/pg dbname=d password=pw"));
  EXPECT_EQ(keywords.description(), "postgres:///run/pg/d");
  ASSERT_OK_AND_ASSIGN(Conninfo bare, Conninfo::Parse("dbname=d"));
  EXPECT_EQ(bare.Redact("no password to hide"), "no password to hide");
}

TEST(ConninfoTest, AMalformedStringIsNotQuotedInTheError) {
  for (const char* text : {"host=h password hunter2x", "host=h password='hunter2x",
                           "postgres://u:hunter2x%zz@h/d", "postgres://u@h/d?hunter2x=1"}) {
    absl::StatusOr<Conninfo> info = Conninfo::Parse(text);
    EXPECT_THAT(info, StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("hunter2x"))))
        << text;
  }
  // Quoted punctuation is kept: it says what is wrong without saying anything secret.
  EXPECT_THAT(Conninfo::Parse("host=h password hunter2x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing \"=\"")));
}

}  // namespace
}  // namespace domicile::store::postgres
