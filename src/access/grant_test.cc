#include "access/grant.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::access {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

TEST(GrantScope, ParsesSubjectsAndJurisdictions) {
  std::string kind, value;
  ASSERT_OK(ParseScope("subject:u1", kind, value));
  EXPECT_EQ(kind, "subject");
  EXPECT_EQ(value, "u1");
  ASSERT_OK(ParseScope("jurisdiction:US", kind, value));
  EXPECT_EQ(kind, "jurisdiction");
  EXPECT_EQ(value, "US");
  for (const char* bad :
       {"u1", "subject:", "jurisdiction:us", "jurisdiction:USA", "site:x", ":u1", "subject:a b"}) {
    EXPECT_THAT(ParseScope(bad, kind, value), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(GrantRequest, ParsesTheContractForm) {
  ASSERT_OK_AND_ASSIGN(
      GrantRequest r,
      ParseGrantRequest(R"({"scope":"subject:u1","class":"protected","actions":["read"],)"
                        R"("purpose":"support","reason":"ticket 123","ttl":"1h"})"));
  EXPECT_EQ(r.scope, "subject:u1");
  EXPECT_EQ(r.classification, "protected");
  EXPECT_EQ(r.actions, std::vector<std::string>{"read"});
  EXPECT_EQ(r.purpose, "support");
  EXPECT_EQ(r.reason, "ticket 123");
  EXPECT_EQ(r.ttl, "1h");
  EXPECT_FALSE(r.break_glass);
}

TEST(GrantRequest, NamesTheBadField) {
  struct Case {
    const char* body;
    const char* says;
  } cases[] = {
      {"[]", "JSON object"},
      {"{", "JSON object"},
      {R"({"scope":"subject:u1","actions":"read","purpose":"p","reason":"r","ttl":"1h"})",
       "'actions'"},
      {R"({"scope":1,"actions":["read"],"purpose":"p","reason":"r","ttl":"1h"})", "'scope'"},
      {R"({"scope":"subject:u1","actions":["read"],"purpose":"p","reason":"r"})", "'ttl'"},
      {R"({"scope":"subject:u1","actions":["read"],"purpose":"p","reason":"r","ttl":"1h",)"
       R"("extra":1})",
       "unknown field 'extra'"},
      {R"({"scope":"subject:u1","actions":["read"],"purpose":"p","reason":"r","ttl":"1h",)"
       R"("break_glass":"yes"})",
       "'break_glass'"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseGrantRequest(c.body).status().message(), HasSubstr(c.says)) << c.body;
  }
}

TEST(GrantText, RefusesEmptyLongAndControlCharacters) {
  EXPECT_OK(ValidateText("purpose", "support", 10));
  EXPECT_THAT(ValidateText("purpose", "", 10), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateText("purpose", "01234567890", 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateText("purpose", "a\nb", 10), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GrantJson, RoundTrips) {
  Grant g;
  g.id = "g-0011223344556677";
  g.requester = "bob";
  g.requester_team = "feed";
  g.scope_kind = "subject";
  g.scope_value = "u1";
  g.jurisdiction = "US";
  g.actions = {vault::Action::kList, vault::Action::kRead};
  g.purpose = "support";
  g.reason = "ticket 123";
  g.created = 1'700'000'000;
  g.expires = 1'700'003'600;
  g.state = vault::GrantState::kActive;
  g.break_glass = true;
  g.reviewed = false;
  g.approvals = {{"alice", 1'700'000'100, "note-a"}, {"carol", 1'700'000'200, "note-c"}};
  g.activated = 1'700'000'200;
  const nlohmann::json j = GrantToJson(g);
  EXPECT_EQ(j["state"], "active");
  EXPECT_EQ(j["scope"], "subject:u1");
  EXPECT_EQ(j["expires"], "2023-11-14T23:13:20Z");
  ASSERT_OK_AND_ASSIGN(Grant back, GrantFromJson(j));
  EXPECT_EQ(GrantToJson(back), j);
  EXPECT_THAT(GrantFromJson(nlohmann::json::object()), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace domicile::access
