#include "policy/entities.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/status_matchers.h"

namespace domicile::policy {
namespace {

using ::domicile::testing::StatusIs;

TEST(EntitiesTest, AncestorsAreTransitive) {
  ASSERT_OK_AND_ASSIGN(Entities es,
                       Entities::Create({
                           {{"User", "bob"}, {}, {{"Team", "feed"}}},
                           {{"Team", "feed"}, {}, {{"Org", "usds"}, {"Group", "engineers"}}},
                           {{"Org", "usds"}, {}, {{"Org", "root"}}},
                       }));
  EXPECT_TRUE(es.IsDescendant({"User", "bob"}, {"Team", "feed"}));
  EXPECT_TRUE(es.IsDescendant({"User", "bob"}, {"Org", "usds"}));
  EXPECT_TRUE(es.IsDescendant({"User", "bob"}, {"Org", "root"}));  // a parent absent from the store
  EXPECT_TRUE(es.IsDescendant({"User", "bob"}, {"Group", "engineers"}));
  EXPECT_FALSE(es.IsDescendant({"User", "bob"}, {"User", "bob"}));  // not reflexive
  EXPECT_FALSE(es.IsDescendant({"Org", "usds"}, {"User", "bob"}));
  EXPECT_FALSE(es.IsDescendant({"User", "nobody"}, {"Org", "usds"}));
  EXPECT_EQ(es.AncestorsOf(*es.Find({"User", "bob"})).size(), 4u);
}

TEST(EntitiesTest, RejectsDuplicatesAndCycles) {
  EXPECT_THAT(Entities::Create({{{"A", "x"}, {}, {}}, {{"A", "x"}, {}, {}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Entities::Create({{{"A", "x"}, {}, {{"A", "y"}}}, {{"A", "y"}, {}, {{"A", "x"}}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Entities::Create({{{"A", "x"}, {}, {{"A", "x"}}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EntitiesTest, FromCedarJson) {
  ASSERT_OK_AND_ASSIGN(Entities es, Entities::FromJson(nlohmann::json::parse(R"([
    {"uid": {"type": "User", "id": "alice"},
     "attrs": {"location": "US", "roles": ["approver"],
               "manager": {"__entity": {"type": "User", "id": "carol"}}},
     "parents": [{"type": "Team", "id": "trust"}]},
    {"uid": {"__entity": {"type": "Team", "id": "trust"}}, "attrs": {}, "parents": []}
  ])")));
  const Entity* alice = es.Find({"User", "alice"});
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->attrs.at("location"), Value::String("US"));
  EXPECT_EQ(alice->attrs.at("manager"), Value::Entity({"User", "carol"}));
  EXPECT_TRUE(es.IsDescendant({"User", "alice"}, {"Team", "trust"}));
}

TEST(EntitiesTest, FromJsonRejectsBadInput) {
  for (const char* bad : {
           R"({"uid": {"type": "User", "id": "a"}})",
           R"([{"attrs": {}}])",
           R"([{"uid": {"type": "User"}}])",
           R"([{"uid": {"type": "User", "id": "a"}, "attrs": []}])",
           R"([{"uid": {"type": "User", "id": "a"}, "attrs": {"x": 1.5}}])",
           R"([{"uid": {"type": "User", "id": "a"}, "parents": {}}])",
           R"([{"uid": {"type": "User", "id": "a"}, "tags": {"t": 1}}])",
       }) {
    EXPECT_THAT(Entities::FromJson(nlohmann::json::parse(bad)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace domicile::policy

namespace domicile::policy {
namespace {

TEST(EntitiesOverlay, LooksUpExtraThenBaseAndInheritsAncestors) {
  Entity team{EntityUid{"Team", "trust"}, {}, {EntityUid{"Org", "usds"}}};
  Entity org{EntityUid{"Org", "usds"}, {}, {}};
  auto base = Entities::Create({team, org});
  ASSERT_TRUE(base.ok());
  Entity alice{EntityUid{"User", "alice"},
               {{"location", Value::String("US")}},
               {EntityUid{"Team", "trust"}}};
  auto overlay = Entities::Overlay(&*base, {alice});
  ASSERT_TRUE(overlay.ok()) << overlay.status();
  EXPECT_NE(overlay->Find(EntityUid{"User", "alice"}), nullptr);
  EXPECT_NE(overlay->Find(EntityUid{"Team", "trust"}), nullptr);
  EXPECT_EQ(overlay->Find(EntityUid{"User", "bob"}), nullptr);
  EXPECT_TRUE(overlay->IsDescendant(EntityUid{"User", "alice"}, EntityUid{"Org", "usds"}));
  EXPECT_TRUE(overlay->IsDescendant(EntityUid{"Team", "trust"}, EntityUid{"Org", "usds"}));
  EXPECT_FALSE(overlay->IsDescendant(EntityUid{"Org", "usds"}, EntityUid{"Team", "trust"}));
  EXPECT_FALSE(Entities::Overlay(&*base, {org}).ok());           // already in the base
  EXPECT_FALSE(Entities::Overlay(&*base, {alice, alice}).ok());  // repeated
}

}  // namespace
}  // namespace domicile::policy
