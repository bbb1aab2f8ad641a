#include "router/route.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/errors.h"
#include "util/status_matchers.h"

namespace domicile::router {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;
using Kind = Route::Kind;
using AboutKind = About::Kind;

TEST(RouteTest, TheRoutersOwnRoutes) {
  ASSERT_OK_AND_ASSIGN(Route r, ClassifyRequest("GET", "/healthz", ""));
  EXPECT_EQ(r.kind, Kind::kHealth);
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("GET", "/metrics", ""));
  EXPECT_EQ(r.kind, Kind::kMetrics);
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("HEAD", "/v1/logs", ""));
  EXPECT_EQ(r.kind, Kind::kLogs);
  absl::StatusOr<Route> post = ClassifyRequest("POST", "/metrics", "");
  EXPECT_EQ(ErrorCodeOf(post.status()), "method_not_allowed");
}

TEST(RouteTest, SubjectPaths) {
  ASSERT_OK_AND_ASSIGN(Route r, ClassifyRequest("GET", "/v1/subjects/u-1.x/records/k?a=b", ""));
  EXPECT_EQ(r.kind, Kind::kContent);
  EXPECT_EQ(r.about.kind, AboutKind::kSubject);
  EXPECT_EQ(r.about.subject, "u-1.x");
  EXPECT_EQ(r.target, "/v1/subjects/u-1.x/records/k?a=b");
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("DELETE", "/v1/subjects/u%31", ""));
  EXPECT_EQ(r.about.subject, "u1");  // percent-decoded, as the node reads it
  EXPECT_THAT(ClassifyRequest("GET", "/v1/subjects/a%20b/records", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subject id")));
  EXPECT_THAT(ClassifyRequest("GET", "/v1/subjects/", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RouteTest, Registration) {
  ASSERT_OK_AND_ASSIGN(
      Route r, ClassifyRequest("POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"SG"})"));
  EXPECT_EQ(r.about.kind, AboutKind::kRegistration);
  EXPECT_EQ(r.about.subject, "u1");
  EXPECT_EQ(r.about.jurisdiction, "SG");
  for (std::string_view body : {"", "[]", R"({"id":"u1"})", R"({"id":"u1","jurisdiction":"sg"})",
                                R"({"id":"u 1","jurisdiction":"SG"})", R"({"id":1})"}) {
    SCOPED_TRACE(body);
    EXPECT_THAT(ClassifyRequest("POST", "/v1/subjects", body),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  // GET /v1/subjects names no jurisdiction.
  EXPECT_THAT(ClassifyRequest("GET", "/v1/subjects", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/j/{J}/v1/subjects")));
}

TEST(RouteTest, Grants) {
  ASSERT_OK_AND_ASSIGN(Route r, ClassifyRequest("POST", "/v1/grants", R"({"scope":"subject:u1"})"));
  EXPECT_EQ(r.about.kind, AboutKind::kGrantRequest);
  EXPECT_EQ(r.about.subject, "u1");
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("POST", "/v1/grants", R"({"scope":"jurisdiction:US"})"));
  EXPECT_EQ(r.about.jurisdiction, "US");
  EXPECT_TRUE(r.about.subject.empty());
  EXPECT_THAT(ClassifyRequest("POST", "/v1/grants", R"({"scope":"planet:earth"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scope")));
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("POST", "/v1/grants/g-12/approvals", "note"));
  EXPECT_EQ(r.about.kind, AboutKind::kGrant);
  EXPECT_EQ(r.about.grant, "g-12");
  EXPECT_THAT(ClassifyRequest("GET", "/v1/grants", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/j/{J}/v1/grants")));
}

TEST(RouteTest, JurisdictionPrefix) {
  ASSERT_OK_AND_ASSIGN(Route r, ClassifyRequest("GET", "/j/US/v1/grants?x=1", ""));
  EXPECT_EQ(r.kind, Kind::kJurisdiction);
  EXPECT_EQ(r.pinned, "US");
  EXPECT_EQ(r.target, "/v1/grants?x=1");
  EXPECT_EQ(r.about.kind, AboutKind::kNothing);
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("GET", "/j/SG", ""));
  EXPECT_EQ(r.target, "/");
  // What the inner path is about is kept, for the router to check against the prefix.
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("GET", "/j/SG/v1/subjects/u1/records/k", ""));
  EXPECT_EQ(r.about.kind, AboutKind::kSubject);
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("POST", "/j/SG/v1/import?site=s&jurisdiction=US", "x"));
  EXPECT_EQ(r.about.jurisdiction, "US");
  // With a prefix, a malformed body is the node's to answer.
  ASSERT_OK_AND_ASSIGN(r, ClassifyRequest("POST", "/j/SG/v1/subjects", "not json"));
  EXPECT_EQ(r.about.kind, AboutKind::kNothing);
  for (std::string_view bad : {"/j/us/v1/policy", "/j/USA/x", "/j//x", "/j"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ClassifyRequest("GET", bad, ""), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(RouteTest, NodePrefix) {
  ASSERT_OK_AND_ASSIGN(Route r, ClassifyRequest("GET", "/n/us-1/log/tile/0/000.p/5", ""));
  EXPECT_EQ(r.kind, Kind::kNode);
  EXPECT_EQ(r.pinned, "us-1");
  EXPECT_EQ(r.target, "/log/tile/0/000.p/5");
  EXPECT_THAT(ClassifyRequest("GET", "/n/a%20b/log/checkpoint", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RouteTest, NoJurisdictionIsABadRequestNamingThePrefixes) {
  for (std::string_view target : {"/v1/policy", "/log/checkpoint", "/", "/v1/operations/x"}) {
    SCOPED_TRACE(target);
    EXPECT_THAT(ClassifyRequest("GET", target, ""),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/j/{J}")));
  }
}

TEST(RouteTest, RetryableMethods) {
  for (std::string_view m : {"GET", "HEAD", "PUT", "DELETE"}) EXPECT_TRUE(IsRetryable(m));
  for (std::string_view m : {"POST", "PATCH", "get"}) EXPECT_FALSE(IsRetryable(m));
}

}  // namespace
}  // namespace domicile::router
