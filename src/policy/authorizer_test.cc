#include "policy/authorizer.h"

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/parser.h"
#include "util/status_matchers.h"

namespace domicile::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Entity Principal(std::string type, std::string id, std::string entity, std::string location,
                 std::vector<std::string> roles) {
  std::vector<Value> role_values;
  for (std::string& r : roles) role_values.push_back(Value::String(std::move(r)));
  return Entity{{std::move(type), std::move(id)},
                {{"entity", Value::String(std::move(entity))},
                 {"location", Value::String(std::move(location))},
                 {"roles", Value::Set(std::move(role_values))}},
                {}};
}

Entity Record(std::string id, std::string jurisdiction, std::string cls) {
  return Entity{{"Record", std::move(id)},
                {{"jurisdiction", Value::String(std::move(jurisdiction))},
                 {"class", Value::String(std::move(cls))}},
                {}};
}

Request Req(EntityUid principal, std::string action, std::string record) {
  return Request{
      std::move(principal), {"Action", std::move(action)}, {"Record", std::move(record)}};
}

constexpr std::string_view kTexas = R"(
// Protected data: only to principals in the data's jurisdiction, employed by usds.
@id("protected-in-jurisdiction")
permit (principal, action == Action::"read", resource is Record)
when {
  resource.class == "protected" &&
  principal.entity == "usds" &&
  principal.location == resource.jurisdiction
};

// Public data: to anyone authenticated.
@id("public-read")
permit (principal, action == Action::"read", resource is Record)
when { resource.class == "public" };

// Writes: only writer services in the jurisdiction.
@id("writers")
permit (principal is Service, action in [Action::"write", Action::"delete"], resource is Record)
when {
  principal.roles.contains("writer") &&
  principal.entity == "usds" &&
  principal.location == resource.jurisdiction
};

// Nothing for the parent company on protected data.
@id("no-parent-on-protected")
forbid (principal, action, resource is Record)
when { principal.entity == "parent" && resource.class == "protected" };
)";

class TexasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(policies_, ParsePolicies(kTexas, "texas.cedar"));
    ASSERT_OK_AND_ASSIGN(entities_, Entities::Create({
                                        Principal("User", "bob", "usds", "US", {"engineer"}),
                                        Principal("User", "li", "parent", "CN", {"engineer"}),
                                        Principal("User", "traveller", "parent", "US", {"admin"}),
                                        Principal("User", "sg", "usds", "SG", {"engineer"}),
                                        Principal("Service", "svc-app", "usds", "US", {"writer"}),
                                        Principal("User", "fakewriter", "usds", "US", {"writer"}),
                                        Record("u1/email", "US", "protected"),
                                        Record("u1/name", "US", "public"),
                                    }));
  }
  Response Decide(EntityUid principal, std::string action, std::string record) {
    return IsAuthorized(policies_, entities_, Req(std::move(principal), action, record));
  }

  PolicySet policies_;
  Entities entities_;
};

TEST_F(TexasTest, ProtectedDataOnlyToUsdsInJurisdiction) {
  Response r = Decide({"User", "bob"}, "read", "u1/email");
  EXPECT_TRUE(r.allow);
  EXPECT_THAT(r.determining, ElementsAre("protected-in-jurisdiction"));
  EXPECT_THAT(r.errors, IsEmpty());

  r = Decide({"User", "sg"}, "read", "u1/email");  // usds, but abroad
  EXPECT_FALSE(r.allow);
  EXPECT_THAT(r.determining, IsEmpty());  // denied by default
}

TEST_F(TexasTest, ParentIsForbiddenEvenInTheJurisdiction) {
  Response r = Decide({"User", "traveller"}, "read", "u1/email");
  EXPECT_FALSE(r.allow);
  EXPECT_THAT(r.determining, ElementsAre("no-parent-on-protected"));
  r = Decide({"User", "li"}, "read", "u1/email");
  EXPECT_FALSE(r.allow);
  EXPECT_THAT(r.determining, ElementsAre("no-parent-on-protected"));
}

TEST_F(TexasTest, PublicDataToAnyone) {
  Response r = Decide({"User", "li"}, "read", "u1/name");
  EXPECT_TRUE(r.allow);
  EXPECT_THAT(r.determining, ElementsAre("public-read"));
}

TEST_F(TexasTest, WritesOnlyByWriterServices) {
  EXPECT_TRUE(Decide({"Service", "svc-app"}, "write", "u1/email").allow);
  EXPECT_TRUE(Decide({"Service", "svc-app"}, "delete", "u1/email").allow);
  EXPECT_FALSE(Decide({"User", "fakewriter"}, "write", "u1/email").allow);  // not a Service
  EXPECT_FALSE(Decide({"User", "bob"}, "write", "u1/email").allow);
  EXPECT_FALSE(Decide({"Service", "svc-app"}, "list", "u1/email").allow);
}

TEST_F(TexasTest, UnknownPrincipalErrorsAndIsDenied) {
  Response r = Decide({"User", "ghost"}, "read", "u1/email");
  EXPECT_FALSE(r.allow);
  // Both policies that reach `principal.entity` error: the permit and the forbid.
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].policy_id, "protected-in-jurisdiction");
  EXPECT_EQ(r.errors[1].policy_id, "no-parent-on-protected");
  EXPECT_THAT(r.errors[0].message, HasSubstr("User::\"ghost\" does not exist"));
}

absl::StatusOr<PolicySet> Parse(std::string_view text) { return ParsePolicies(text); }

TEST(AuthorizerTest, DefaultDenyForEmptySet) {
  Response r = IsAuthorized(PolicySet(), Entities(), Req({"User", "a"}, "read", "x"));
  EXPECT_FALSE(r.allow);
  EXPECT_THAT(r.determining, IsEmpty());
}

TEST(AuthorizerTest, ForbidOverridesPermitAndDeterminingIdsAreInOrder) {
  ASSERT_OK_AND_ASSIGN(PolicySet set, Parse(R"(
permit(principal, action, resource);
forbid(principal == User::"a", action, resource);
permit(principal, action == Action::"read", resource);
forbid(principal, action, resource) when { context.flag };
)"));
  Entities none;
  Request req = Req({"User", "b"}, "read", "x");
  req.context = Value::Record({{"flag", Value::Bool(false)}});
  Response r = IsAuthorized(set, none, req);
  EXPECT_TRUE(r.allow);
  EXPECT_THAT(r.determining, ElementsAre("policy0", "policy2"));

  req.principal = {"User", "a"};
  req.context = Value::Record({{"flag", Value::Bool(true)}});
  r = IsAuthorized(set, none, req);
  EXPECT_FALSE(r.allow);
  EXPECT_THAT(r.determining, ElementsAre("policy1", "policy3"));
}

TEST(AuthorizerTest, ErroringPoliciesAreSkippedAndReported) {
  ASSERT_OK_AND_ASSIGN(PolicySet set, Parse(R"(
@id("errs-permit") permit(principal, action, resource) when { context.missing == 1 };
@id("errs-forbid") forbid(principal, action, resource) when { 1 + "a" == 2 };
@id("ok") permit(principal, action, resource) when { context.n > 0 };
@id("overflow") forbid(principal, action, resource) when { context.n * 9223372036854775807 > 0 };
@id("guarded") forbid(principal, action, resource) when { context has missing && context.missing };
@id("unless-type") forbid(principal, action, resource) unless { 1 };
)"));
  Request req = Req({"User", "a"}, "read", "x");
  req.context = Value::Record({{"n", Value::Long(2)}});
  Response r = IsAuthorized(set, Entities(), req);
  EXPECT_TRUE(r.allow);  // the erroring forbids do not deny
  EXPECT_THAT(r.determining, ElementsAre("ok"));
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].policy_id, "errs-permit");
  EXPECT_EQ(r.errors[1].policy_id, "errs-forbid");
  EXPECT_EQ(r.errors[2].policy_id, "overflow");
  EXPECT_EQ(r.errors[3].policy_id, "unless-type");
  EXPECT_THAT(r.errors[2].message, HasSubstr("overflow"));
}

TEST(AuthorizerTest, ScopeIsCheckedBeforeConditions) {
  ASSERT_OK_AND_ASSIGN(PolicySet set, Parse(R"(
permit(principal == User::"other", action, resource) when { principal.missing };
)"));
  Response r = IsAuthorized(set, Entities(), Req({"User", "a"}, "read", "x"));
  EXPECT_FALSE(r.allow);
  EXPECT_THAT(r.errors, IsEmpty());  // the condition is never evaluated
}

TEST(AuthorizerTest, WhenAndUnlessClausesAllMustHold) {
  ASSERT_OK_AND_ASSIGN(PolicySet set, Parse(R"(
permit(principal, action, resource)
  when { context.a } when { context.b } unless { context.c };
)"));
  auto decide = [&](bool a, bool b, bool c) {
    Request req = Req({"User", "a"}, "read", "x");
    req.context =
        Value::Record({{"a", Value::Bool(a)}, {"b", Value::Bool(b)}, {"c", Value::Bool(c)}});
    return IsAuthorized(set, Entities(), req).allow;
  };
  EXPECT_TRUE(decide(true, true, false));
  EXPECT_FALSE(decide(false, true, false));
  EXPECT_FALSE(decide(true, false, false));
  EXPECT_FALSE(decide(true, true, true));
}

TEST(AuthorizerTest, ScopeInUsesTheHierarchy) {
  ASSERT_OK_AND_ASSIGN(PolicySet set, Parse(R"(
@id("team") permit(principal in Org::"usds", action in Action::"readers", resource);
@id("is-in") permit(principal is Service in Org::"usds", action, resource in Folder::"f");
)"));
  ASSERT_OK_AND_ASSIGN(Entities es, Entities::Create({
                                        {{"User", "bob"}, {}, {{"Team", "feed"}}},
                                        {{"Team", "feed"}, {}, {{"Org", "usds"}}},
                                        {{"Service", "app"}, {}, {{"Org", "usds"}}},
                                        {{"Action", "read"}, {}, {{"Action", "readers"}}},
                                        {{"Record", "r"}, {}, {{"Folder", "f"}}},
                                    }));
  EXPECT_THAT(IsAuthorized(set, es, Req({"User", "bob"}, "read", "r")).determining,
              ElementsAre("team"));
  EXPECT_FALSE(IsAuthorized(set, es, Req({"User", "bob"}, "write", "r")).allow);
  EXPECT_THAT(IsAuthorized(set, es, Req({"Service", "app"}, "write", "r")).determining,
              ElementsAre("is-in"));
  EXPECT_FALSE(IsAuthorized(set, es, Req({"User", "alice"}, "read", "r")).allow);
  // `action in A` holds for A itself.
  EXPECT_TRUE(IsAuthorized(set, es, Req({"User", "bob"}, "readers", "r")).allow);
}

TEST(AuthorizerTest, NonRecordContextIsRefused) {
  Request req = Req({"User", "a"}, "read", "x");
  req.context = Value::Long(1);
  ASSERT_OK_AND_ASSIGN(PolicySet set, Parse("permit(principal, action, resource);"));
  Response r = IsAuthorized(set, Entities(), req);
  EXPECT_FALSE(r.allow);
  ASSERT_EQ(r.errors.size(), 1u);
}

// A large set goes through the scope index; decisions must equal a plain scan's.
TEST(AuthorizerTest, IndexedSetDecidesLikeAScan) {
  std::string text;
  for (int i = 0; i < 60; ++i) {
    text += fmt::format(
        "permit(principal == User::\"u{}\", action == Action::\"read\", resource);\n", i);
    text += fmt::format(
        "permit(principal in Team::\"t{}\", action in [Action::\"write\"], "
        "resource) when {{ resource.owner == principal }};\n",
        i);
  }
  text += "forbid(principal, action, resource in Folder::\"secret\");\n";
  text += "permit(principal is Admin, action, resource);\n";
  ASSERT_OK_AND_ASSIGN(PolicySet set, Parse(text));
  ASSERT_TRUE(set.index().enabled());
  ASSERT_OK_AND_ASSIGN(
      Entities es,
      Entities::Create({
          {{"User", "u7"}, {}, {{"Team", "t3"}}},
          {{"Doc", "d"}, {{"owner", Value::Entity({"User", "u7"})}}, {}},
          {{"Doc", "s"}, {{"owner", Value::Entity({"User", "u7"})}}, {{"Folder", "secret"}}},
      }));
  Response r = IsAuthorized(set, es, Request{{"User", "u7"}, {"Action", "read"}, {"Doc", "d"}});
  EXPECT_THAT(r.determining, ElementsAre("policy14"));
  r = IsAuthorized(set, es, Request{{"User", "u7"}, {"Action", "write"}, {"Doc", "d"}});
  EXPECT_THAT(r.determining, ElementsAre("policy7"));
  r = IsAuthorized(set, es, Request{{"User", "u7"}, {"Action", "write"}, {"Doc", "s"}});
  EXPECT_FALSE(r.allow);
  EXPECT_THAT(r.determining, ElementsAre("policy120"));
  r = IsAuthorized(set, es, Request{{"Admin", "x"}, {"Action", "any"}, {"Doc", "d"}});
  EXPECT_THAT(r.determining, ElementsAre("policy121"));
  r = IsAuthorized(set, es, Request{{"User", "u8"}, {"Action", "write"}, {"Doc", "d"}});
  EXPECT_FALSE(r.allow);
}

}  // namespace
}  // namespace domicile::policy
