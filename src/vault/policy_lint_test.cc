#include "vault/policy_lint.h"

#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/parser.h"
#include "util/status_matchers.h"
#include "vault/grant_facts.h"
#include "vault/policy_decider.h"

namespace domicile::vault {
namespace {

using ::testing::HasSubstr;

Principal P(std::string id, PrincipalType type, std::string entity, std::string location,
            std::vector<std::string> roles, std::string team = "") {
  Principal p;
  p.id = std::move(id);
  p.type = type;
  p.entity = std::move(entity);
  p.location = std::move(location);
  p.roles = std::move(roles);
  p.team = std::move(team);
  return p;
}

// The example deployment's principals, jurisdictions and sites.
LintModel Texas() {
  LintModel m;
  m.principals = {P("svc-app", PrincipalType::kService, "usds", "US", {"writer"}),
                  P("alice", PrincipalType::kUser, "usds", "US", {"approver"}, "trust"),
                  P("bob", PrincipalType::kUser, "usds", "US", {"engineer"}, "feed"),
                  P("li", PrincipalType::kUser, "parent", "CN", {"engineer"}),
                  P("admin", PrincipalType::kUser, "parent", "CN", {"admin"})};
  m.trusted_entities = {{"US", {"usds"}}};
  m.jurisdictions = {"US"};
  m.sites = {"oci-us-tx", "oci-us-backup", "own-us-va", "own-sg"};
  return m;
}

std::string TexasPolicy() {
  std::ifstream in(DOMICILE_SOURCE_DIR "/examples/texas/policy.cedar");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

policy::PolicySet Parse(const std::string& text) {
  absl::StatusOr<policy::PolicySet> set = policy::ParsePolicies(text, "test.cedar");
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : policy::PolicySet();
}

TEST(PolicyLint, TheTexasPolicyPasses) {
  LintResult r = LintPolicies(Parse(TexasPolicy()), Texas());
  EXPECT_TRUE(r.ok()) << r.Report();
  EXPECT_GT(r.evaluations, 1000u);
}

TEST(PolicyLint, AMasterAdminIsRefusedWithItsCounterexample) {
  std::string text = TexasPolicy() + R"(
@id("master-admin")
permit (principal, action, resource) when { principal.roles.contains("admin") };
)";
  LintResult r = LintPolicies(Parse(text), Texas());
  ASSERT_FALSE(r.ok());
  std::string report = r.Report();
  EXPECT_THAT(report, HasSubstr("permitted by master-admin"));
  EXPECT_THAT(report, HasSubstr("cross-border"));
  // Any admin outside the parent company (which the Texas forbid already stops), anywhere.
  EXPECT_THAT(report, HasSubstr("roles: [\"admin\"]"));
  EXPECT_THAT(report, HasSubstr("may read, write, delete"));
}

TEST(PolicyLint, ParentCompanyStaffTravellingInTheUsAreStillRefused) {
  // Cross-border access is closed, but entity is not checked: a parent-company engineer who
  // flies to the US could read.
  std::string text = R"(
@id("location-only")
permit (principal, action == Action::"read", resource is Record)
when { principal.location == resource.jurisdiction };
)";
  LintResult r = LintPolicies(Parse(text), Texas());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.Report(), HasSubstr("untrusted-entity"));
  EXPECT_THAT(r.Report(), HasSubstr("entity: \"parent\", location: \"US\""));
  for (const Counterexample& c : r.counterexamples) EXPECT_NE(c.rule, "cross-border");
}

TEST(PolicyLint, StandingAccessForPeopleIsRefused) {
  // The policy of before grants: any trusted engineer in the US reads protected data.
  std::string text = R"(
@id("standing-read")
permit (principal, action == Action::"read", resource is Record)
when { principal.location == resource.jurisdiction && principal.entity == "usds" };
)";
  LintResult r = LintPolicies(Parse(text), Texas());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.Report(), HasSubstr("no-grant: User::\"bob\""));
  EXPECT_THAT(r.Report(), HasSubstr("without a grant), permitted by standing-read"));
  for (const Counterexample& c : r.counterexamples) {
    EXPECT_EQ(c.rule, "no-grant");
    EXPECT_EQ(c.principal.type, PrincipalType::kUser) << "services may read without a grant";
  }
}

TEST(PolicyLint, AGrantNeverOpensTheBorder) {
  std::string text = TexasPolicy() + R"(
@id("any-grant")
permit (principal, action == Action::"read", resource is Record) when { context.grant.valid };
)";
  LintResult r = LintPolicies(Parse(text), Texas());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.Report(), HasSubstr("cross-border"));
  EXPECT_THAT(r.Report(), HasSubstr("with a valid grant"));
}

TEST(PolicyLint, AnUnlistedJurisdictionTrustsNobody) {
  LintModel m = Texas();
  m.trusted_entities.clear();
  LintResult r = LintPolicies(Parse(TexasPolicy()), m);
  EXPECT_FALSE(r.ok());
}

TEST(PolicyDecider, ReasonsNameThePolicies) {
  PolicyDecider decider(Parse(TexasPolicy()), NetworkMap());
  Principal bob = P("bob", PrincipalType::kUser, "usds", "US", {"engineer"}, "feed");
  Principal li = P("li", PrincipalType::kUser, "parent", "CN", {"engineer"});
  Principal carol = P("carol", PrincipalType::kUser, "usds", "SG", {"engineer"});
  Resource record{Resource::Kind::kRecord,    "u1",       "email", "US",
                  Classification::kProtected, "oci-us-tx"};
  // Without a grant, bob has no standing access.
  Decision no_grant = decider.Decide(bob, Action::kRead, record, {});
  EXPECT_FALSE(no_grant.allow);
  EXPECT_THAT(no_grant.reason, HasSubstr("no policy permits User::\"bob\""));
  // With an active grant of his own covering the record, he may read.
  auto grant = std::make_shared<GrantFacts>();
  grant->id = "g-1";
  grant->known = true;
  grant->state = GrantState::kActive;
  grant->requester = "bob";
  grant->scope_kind = "subject";
  grant->scope_value = "u1";
  grant->jurisdiction = "US";
  grant->actions = {Action::kRead};
  grant->expires = 100;
  Decision allow = decider.Decide(bob, Action::kRead, record, RequestContext("", "", 99, grant));
  EXPECT_TRUE(allow.allow);
  EXPECT_EQ(allow.determining, std::vector<std::string>{"read-protected-under-grant"});
  EXPECT_EQ(allow.policy_sha256.size(), 64u);
  // Not at its expiry, not for another subject, not for another principal.
  EXPECT_FALSE(
      decider.Decide(bob, Action::kRead, record, RequestContext("", "", 100, grant)).allow);
  Resource other{Resource::Kind::kRecord,    "u2",       "email", "US",
                 Classification::kProtected, "oci-us-tx"};
  EXPECT_FALSE(decider.Decide(bob, Action::kRead, other, RequestContext("", "", 99, grant)).allow);
  Principal erin = P("erin", PrincipalType::kUser, "usds", "US", {"engineer"}, "ops");
  EXPECT_FALSE(
      decider.Decide(erin, Action::kRead, record, RequestContext("", "", 99, grant)).allow);
  Decision forbid = decider.Decide(li, Action::kRead, record, {});
  EXPECT_FALSE(forbid.allow);
  EXPECT_EQ(forbid.reason, "forbidden by no-parent-on-protected");
  Decision none = decider.Decide(carol, Action::kRead, record, {});
  EXPECT_FALSE(none.allow);
  EXPECT_THAT(none.reason, HasSubstr("no policy permits"));
  EXPECT_TRUE(none.determining.empty());
}

TEST(PolicyDecider, SourceJurisdictionComesFromTheNetworkMap) {
  NetworkMap network;
  ASSERT_OK(network.Add("10.86.0.0/16", "CN"));
  PolicyDecider decider(Parse(R"(
@id("only-from-us")
permit (principal, action, resource) when { context.source_jurisdiction == "US" };
@id("errors") permit (principal, action, resource) when { principal.nope == 1 };
)"),
                        network);
  Principal bob = P("bob", PrincipalType::kUser, "usds", "US", {});
  Resource record{Resource::Kind::kRecord, "u1", "k", "US", Classification::kPublic, ""};
  RequestContext from_cn{"", "10.86.1.2", 0};
  Decision d = decider.Decide(bob, Action::kRead, record, from_cn);
  EXPECT_FALSE(d.allow);
  ASSERT_EQ(d.diagnostics.size(), 1u);
  EXPECT_THAT(d.diagnostics[0], HasSubstr("errors:"));
  std::string old_hash = d.policy_sha256;
  decider.Replace(Parse("permit (principal, action, resource);"));
  Decision after = decider.Decide(bob, Action::kRead, record, from_cn);
  EXPECT_TRUE(after.allow);
  EXPECT_NE(after.policy_sha256, old_hash);
}

}  // namespace
}  // namespace domicile::vault
