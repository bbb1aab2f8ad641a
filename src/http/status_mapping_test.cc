#include "http/status_mapping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/errors.h"

namespace domicile::http {
namespace {

std::string ErrorBody(std::string_view code, std::string_view message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

struct Case {
  absl::Status status;
  int http_status;
  std::string code;
};

TEST(StatusMappingTest, EachErrorNameHasItsStatusAndBody) {
  const Case cases[] = {
      {absl::InvalidArgumentError("bad"), 400, "invalid_argument"},
      {absl::OutOfRangeError("bad"), 400, "invalid_argument"},
      {absl::UnauthenticatedError("bad"), 401, "unauthenticated"},
      {absl::PermissionDeniedError("bad"), 403, "denied"},
      {DeniedError("bad"), 403, "denied"},
      {absl::NotFoundError("bad"), 404, "not_found"},
      {WithErrorCode(absl::InvalidArgumentError("bad"), error_code::kMethodNotAllowed), 405,
       "method_not_allowed"},
      {absl::AlreadyExistsError("bad"), 409, "already_exists"},
      {ConflictError("bad"), 409, "conflict"},
      {absl::FailedPreconditionError("bad"), 409, "conflict"},
      {TooLargeError("bad"), 413, "too_large"},
      {ResidencyViolationError("bad"), 422, "residency_violation"},
      {absl::UnavailableError("bad"), 503, "unavailable"},
      {absl::ResourceExhaustedError("bad"), 503, "unavailable"},
      {absl::InternalError("bad"), 500, "internal"},
      {absl::UnknownError("bad"), 500, "internal"},
      {absl::DataLossError("bad"), 500, "internal"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status.ToString());
    EXPECT_EQ(HttpStatusFor(c.status), c.http_status);
    Response response = ErrorResponse(c.status);
    EXPECT_EQ(response.status, c.http_status);
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(response.body, ErrorBody(c.code, "bad"));
  }
}

TEST(StatusMappingTest, ExactBodyShape) {
  Response response = ErrorResponse(ResidencyViolationError("EU data cannot go to us-east"));
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.body,
            R"({"error":{"code":"residency_violation","message":"EU data cannot go to us-east"}})");
}

TEST(StatusMappingTest, UnavailableAddsRetryAfter) {
  Response response = ErrorResponse(absl::UnavailableError("busy"));
  EXPECT_EQ(response.status, 503);
  EXPECT_THAT(FindHeader(response.headers, "Retry-After"),
              ::testing::Optional(std::string_view("1")));
  EXPECT_EQ(FindHeader(response.headers, "WWW-Authenticate"), std::nullopt);
}

TEST(StatusMappingTest, UnauthenticatedAddsChallenge) {
  Response response = ErrorResponse(absl::UnauthenticatedError("no token"));
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(FindHeader(response.headers, "WWW-Authenticate"),
              ::testing::Optional(std::string_view("Bearer")));
  EXPECT_EQ(FindHeader(response.headers, "Retry-After"), std::nullopt);
}

TEST(StatusMappingTest, InternalErrorExposesOnlyTheMessage) {
  absl::Status status = absl::InternalError("disk failed");
  status.SetPayload("secret.example/detail", absl::Cord("stack trace"));
  Response response = ErrorResponse(status);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, ErrorBody("internal", "disk failed"));
}

TEST(StatusMappingTest, UnknownErrorNameIsInternal) {
  Response response = ErrorResponse(WithErrorCode(absl::AbortedError("x"), "made_up"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, ErrorBody("internal", "x"));
}

TEST(StatusMappingTest, InvalidUtf8InMessageDoesNotThrow) {
  Response response = ErrorResponse(absl::InvalidArgumentError("bad \xff byte"));
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(nlohmann::json::accept(response.body));
}

TEST(StatusMappingTest, JsonResponse) {
  Response response = JsonResponse(201, {{"id", "abc"}});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"id":"abc"})");
}

}  // namespace
}  // namespace domicile::http
