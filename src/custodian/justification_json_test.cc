#include "custodian/justification_json.h"

#include "access/grant.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::custodian {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

vault::Justification Sample() {
  vault::Justification why;
  why.principal.id = "bob";
  why.principal.type = vault::PrincipalType::kUser;
  why.principal.entity = "usds";
  why.principal.location = "US";
  why.principal.roles = {"engineer"};
  why.principal.team = "feed";
  why.action = vault::Action::kRead;
  why.subject = "u1";
  why.key = "email";
  why.jurisdiction = "US";
  why.site = "us-tx";
  why.log_index = 7;
  access::Grant g;
  g.id = "g-00000000000000a1";
  g.requester = "bob";
  g.scope_kind = "subject";
  g.scope_value = "u1";
  g.jurisdiction = "US";
  g.actions = {vault::Action::kList, vault::Action::kRead};
  g.purpose = "support";
  g.expires = 1'800'000'000;
  g.state = vault::GrantState::kActive;
  g.approvals = {{"alice", 1, "note-a\n"}, {"carol", 2, "note-c\n"}};
  why.grant = g.Facts();
  return why;
}

TEST(JustificationJsonTest, RoundTrips) {
  const vault::Justification why = Sample();
  ASSERT_OK_AND_ASSIGN(vault::Justification back, JustificationFromJson(JustificationToJson(why)));
  EXPECT_EQ(JustificationToJson(back), JustificationToJson(why));
  EXPECT_EQ(back.principal.team, "feed");
  ASSERT_NE(back.grant, nullptr);
  EXPECT_EQ(back.grant->signed_approvals.size(), 2u);
  EXPECT_EQ(back.grant->signed_approvals[1].signed_note, "note-c\n");
  EXPECT_EQ(back.grant->expires, 1'800'000'000);
}

TEST(JustificationJsonTest, RefusesMissingOrMistypedFields) {
  const nlohmann::json good = JustificationToJson(Sample());
  struct Case {
    std::function<void(nlohmann::json&)> damage;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](nlohmann::json& j) { j.erase("principal"); }, "'principal'"},
      {[](nlohmann::json& j) { j["principal"]["type"] = "Robot"; }, "'principal.type'"},
      {[](nlohmann::json& j) { j["action"] = "fly"; }, "'action'"},
      {[](nlohmann::json& j) { j["kind"] = "policy"; }, "'kind'"},
      {[](nlohmann::json& j) { j["class"] = 3; }, "'class'"},
      {[](nlohmann::json& j) { j["log_index"] = -1; }, "'log_index'"},
      {[](nlohmann::json& j) { j["grant"]["expires"] = "soon"; }, "'expires'"},
      {[](nlohmann::json& j) { j["grant"]["approvals"] = {1}; }, "'grant.approvals'"},
      {[](nlohmann::json& j) { j["grant"]["state"] = "eternal"; }, "'grant.state'"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = good;
    c.damage(j);
    EXPECT_THAT(JustificationFromJson(j),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.message;
  }
}

TEST(JustificationJsonTest, WrappedKeysRoundTripAndRefuseBadBase64) {
  keys::WrappedDataKey k{"site/us-tx/US", Bytes{1, 2, 3}};
  ASSERT_OK_AND_ASSIGN(keys::WrappedDataKey back, WrappedKeyFromJson(WrappedKeyToJson(k)));
  EXPECT_EQ(back.kek_id, k.kek_id);
  EXPECT_EQ(back.wrapped, k.wrapped);
  EXPECT_THAT(WrappedKeyFromJson({{"kek", "x"}, {"wrapped", "!!"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::custodian
