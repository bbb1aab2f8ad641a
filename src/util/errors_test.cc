#include "util/errors.h"

#include "gtest/gtest.h"

namespace domicile {
namespace {

TEST(Errors, AttachedNameWinsOverAbseilCode) {
  absl::Status st = ResidencyViolationError("site own-sg may not hold US data");
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeOf(st), "residency_violation");
  EXPECT_EQ(st.message(), "site own-sg may not hold US data");
}

TEST(Errors, NameDerivedFromAbseilCode) {
  EXPECT_EQ(ErrorCodeOf(absl::NotFoundError("x")), "not_found");
  EXPECT_EQ(ErrorCodeOf(absl::UnauthenticatedError("x")), "unauthenticated");
  EXPECT_EQ(ErrorCodeOf(absl::PermissionDeniedError("x")), "denied");
  EXPECT_EQ(ErrorCodeOf(absl::UnavailableError("x")), "unavailable");
  EXPECT_EQ(ErrorCodeOf(absl::OkStatus()), "ok");
}

}  // namespace
}  // namespace domicile
