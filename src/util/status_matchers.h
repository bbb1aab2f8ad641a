// gtest matchers for absl::Status and absl::StatusOr: EXPECT_THAT(s, IsOk()),
// EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound)), ASSERT_OK(expr), ASSERT_OK_AND_ASSIGN.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_macros.h"

namespace domicile::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s;
  return s.code() == code;
}

// StatusIs(code, message_matcher): the code, and the message matching, e.g. HasSubstr("x").
MATCHER_P2(StatusIs, code, message,
           "has status code " + ::testing::PrintToString(code) + " and a matching message") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s;
  return s.code() == code && ::testing::Matches(message)(std::string(s.message()));
}

}  // namespace domicile::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::domicile::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::domicile::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                  \
  auto DOMICILE_CONCAT_(_assign_or_, __LINE__) = (expr); \
  ASSERT_OK(DOMICILE_CONCAT_(_assign_or_, __LINE__));    \
  lhs = std::move(DOMICILE_CONCAT_(_assign_or_, __LINE__)).value()
