#include "policy/value.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/status_matchers.h"

namespace domicile::policy {
namespace {

using ::domicile::testing::StatusIs;

TEST(EntityUidTest, ToStringEscapesLikeCedar) {
  EXPECT_EQ((EntityUid{"User", "alice"}).ToString(), "User::\"alice\"");
  EXPECT_EQ((EntityUid{"A::B", "x\"y\\z\n"}).ToString(), "A::B::\"x\\\"y\\\\z\\n\"");
  EXPECT_EQ((EntityUid{"T", std::string("\x01", 1)}).ToString(), "T::\"\\u{1}\"");
}

TEST(EntityUidTest, OrderAndHash) {
  EntityUid a{"A", "z"}, b{"B", "a"};
  EXPECT_TRUE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_EQ(std::hash<EntityUid>()(a), std::hash<EntityUid>()(EntityUid{"A", "z"}));
}

TEST(EntityUidTest, TypeNames) {
  EXPECT_TRUE(IsValidTypeName("User"));
  EXPECT_TRUE(IsValidTypeName("A::B::C"));
  EXPECT_FALSE(IsValidTypeName(""));
  EXPECT_FALSE(IsValidTypeName("A::"));
  EXPECT_FALSE(IsValidTypeName("1A"));
  EXPECT_FALSE(IsValidTypeName("if"));
  EXPECT_FALSE(IsValidTypeName("A B"));
}

TEST(ValueTest, SetsAreUnorderedAndDeduplicated) {
  Value a = Value::Set({Value::Long(2), Value::Long(1), Value::Long(2)});
  Value b = Value::Set({Value::Long(1), Value::Long(2)});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.set_elements().size(), 2u);
  EXPECT_TRUE(a.SetContains(Value::Long(2)));
  EXPECT_FALSE(a.SetContains(Value::String("2")));
}

TEST(ValueTest, DifferentKindsAreUnequal) {
  EXPECT_NE(Value::Long(1), Value::String("1"));
  EXPECT_NE(Value::Bool(true), Value::Long(1));
  EXPECT_NE(Value::Entity({"A", "x"}), Value::Entity({"B", "x"}));
  EXPECT_EQ(Value::Record({{"a", Value::Long(1)}}), Value::Record({{"a", Value::Long(1)}}));
  EXPECT_NE(Value::Record({{"a", Value::Long(1)}}), Value::Record({{"b", Value::Long(1)}}));
}

TEST(ValueTest, JsonRoundTrip) {
  nlohmann::json j = nlohmann::json::parse(R"({
    "b": true, "n": -5, "s": "x", "set": [1, 2, 2],
    "e": {"__entity": {"type": "User", "id": "alice"}},
    "r": {"nested": {"k": "v"}}
  })");
  ASSERT_OK_AND_ASSIGN(Value v, ValueFromJson(j));
  ASSERT_TRUE(v.is_record());
  EXPECT_EQ(v.record_fields().at("e"), Value::Entity({"User", "alice"}));
  EXPECT_EQ(v.record_fields().at("set").set_elements().size(), 2u);
  nlohmann::json back = ValueToJson(v);
  EXPECT_EQ(back["e"]["__entity"]["id"], "alice");
  EXPECT_EQ(back["set"], nlohmann::json::parse("[1, 2]"));
  ASSERT_OK_AND_ASSIGN(Value again, ValueFromJson(back));
  EXPECT_EQ(again, v);
}

TEST(ValueTest, JsonRejectsWhatCedarDoesNotHave) {
  EXPECT_THAT(ValueFromJson(nlohmann::json::parse("1.5")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValueFromJson(nlohmann::json::parse("null")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValueFromJson(nlohmann::json::parse("18446744073709551615")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValueFromJson(nlohmann::json::parse(R"({"__extn": {"fn": "ip", "arg": "1"}})")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValueFromJson(nlohmann::json::parse(R"({"__expr": "User::\"a\""})")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValueFromJson(nlohmann::json::parse(R"({"__entity": {"type": "1x", "id": "a"}})")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::policy
