// POST /v1/policy: who may replace the policy, and what a refused set leaves behind.
#include "e2e_fixture.h"
#include "gmock/gmock.h"

namespace domicile::testing {
namespace {

using ::testing::HasSubstr;

std::string TexasPolicy() {
  std::ifstream in(DOMICILE_SOURCE_DIR "/examples/texas/policy.cedar");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class PolicyUpdateTest : public NodeTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartNode());
    ASSERT_EQ(
        Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})").status,
        201);
    ASSERT_EQ(
        Call("svc-app-token", "PUT", "/v1/subjects/u1/records/email?class=protected", "e").status,
        201);
    ASSERT_EQ(
        Call("svc-app-token", "PUT", "/v1/subjects/u1/records/handle?class=public", "@u1").status,
        201);
  }
};

TEST_F(PolicyUpdateTest, OnlyApproversMayUpdateAndBadSetsChangeNothing) {
  auto before = Call("bob-token", "GET", "/v1/policy");
  ASSERT_EQ(before.status, 200);
  EXPECT_THAT(before.body, HasSubstr(R"("policies":15)"));

  // An engineer may not change the policy.
  auto denied = Call("bob-token", "POST", "/v1/policy", TexasPolicy());
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(ErrorCode(denied), "denied");

  // A set that does not parse: 400 with the line and a caret.
  auto broken = Call("alice-token", "POST", "/v1/policy",
                     "permit (principal, action, resource)\n"
                     "when { resource.size.isEmpty() };");
  EXPECT_EQ(broken.status, 400);
  EXPECT_THAT(broken.body, HasSubstr("request body:2:"));

  // A master admin: refused by the lint with its counterexample.
  auto admin = Call("alice-token", "POST", "/v1/policy",
                    TexasPolicy() +
                        "\n@id(\"master-admin\")\npermit (principal, action, resource) "
                        "when { principal.roles.contains(\"admin\") };\n");
  EXPECT_EQ(admin.status, 422);
  EXPECT_EQ(ErrorCode(admin), "policy_refused");
  EXPECT_THAT(admin.body, HasSubstr("permitted by master-admin"));

  // Nothing changed: same set, same decisions.
  EXPECT_EQ(Call("bob-token", "GET", "/v1/policy").body, before.body);
  EXPECT_EQ(Call("svc-app-token", "GET", "/v1/subjects/u1/records/email").status, 200);
  EXPECT_EQ(Call("li-token", "GET", "/v1/subjects/u1/records/handle").status, 200);
}

TEST_F(PolicyUpdateTest, AValidSetTakesEffectAtOnce) {
  // The Texas policy without public reads.
  std::string stricter = TexasPolicy();
  size_t at = stricter.find("@id(\"read-public\")");
  size_t end = stricter.find("};", at) + 2;
  stricter.erase(at, end - at);
  auto updated = Call("alice-token", "POST", "/v1/policy", stricter);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_THAT(updated.body, HasSubstr(R"("policies":14)"));
  EXPECT_EQ(Call("bob-token", "GET", "/v1/policy").body, updated.body);
  auto refused = Call("li-token", "GET", "/v1/subjects/u1/records/handle");
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("no policy permits"));
  EXPECT_EQ(Call("svc-app-token", "GET", "/v1/subjects/u1/records/email").status, 200);
}

}  // namespace
}  // namespace domicile::testing
