#include "policy/parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::policy {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

std::string ParseError(std::string_view text) {
  auto set = ParsePolicies(text, "test.cedar");
  if (set.ok()) return "<parsed>";
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(set.status().message());
}

TEST(ParserTest, ParsesScopesConditionsAndAnnotations) {
  ASSERT_OK_AND_ASSIGN(PolicySet set, ParsePolicies(R"(
// A comment.
@id("read-own")
@advice("ask first")
@flag
permit (
  principal is User in Team::"feed",
  action in [Action::"read", Action::"list"],
  resource == Record::"u1/email"
) when { principal.location == "US" } unless { context has denied };

forbid (principal == User::"li", action == App::Action::"read", resource is Record);
permit (principal in Org::"usds", action in Action::"all", resource in Site::"tx");
permit (principal, action, resource);
)",
                                                    "x.cedar"));
  ASSERT_EQ(set.size(), 4u);
  EXPECT_THAT(set.ids(), ::testing::ElementsAre("read-own", "policy1", "policy2", "policy3"));
  const Policy& p = set.policy(0);
  EXPECT_EQ(p.effect, Effect::kPermit);
  EXPECT_FALSE(p.default_id);
  EXPECT_EQ(p.annotations.at("advice"), "ask first");
  EXPECT_EQ(p.annotations.at("flag"), "");
  EXPECT_EQ(p.location.file, "x.cedar");
  EXPECT_EQ(p.location.line, 3);
  EXPECT_EQ(p.location.column, 1);
  EXPECT_EQ(p.principal.ToString("principal"), R"(principal is User in Team::"feed")");
  EXPECT_EQ(p.action.ToString("action"), R"(action in [Action::"read", Action::"list"])");
  EXPECT_EQ(p.resource.ToString("resource"), R"(resource == Record::"u1/email")");
  ASSERT_EQ(p.conditions.size(), 2u);
  EXPECT_TRUE(p.conditions[0].is_when);
  EXPECT_FALSE(p.conditions[1].is_when);
  EXPECT_EQ(p.conditions[0].body.ToString(), R"((principal["location"] == "US"))");
  EXPECT_THAT(p.text, ::testing::StartsWith("@id(\"read-own\")"));
  EXPECT_THAT(p.text, ::testing::EndsWith("denied };"));
  const Policy& f = set.policy(1);
  EXPECT_EQ(f.effect, Effect::kForbid);
  EXPECT_EQ(f.action.ToString("action"), R"(action == App::Action::"read")");
  EXPECT_EQ(f.resource.ToString("resource"), "resource is Record");
  EXPECT_EQ(set.policy(3).principal.kind, ScopeConstraint::Kind::kAny);
  EXPECT_EQ(set.Find("policy2"), &set.policy(2));
}

TEST(ParserTest, EmptyTextIsAnEmptySet) {
  ASSERT_OK_AND_ASSIGN(PolicySet set, ParsePolicies("  // nothing\n"));
  EXPECT_TRUE(set.empty());
}

TEST(ParserTest, ErrorFormatHasFileLineColumnAndCaret) {
  EXPECT_EQ(ParseError("permit(principal, action, resource)\n"
                       "  when { principal.ip == ip(\"1.2.3.4\") };"),
            "test.cedar:2:26: the extension function `ip(...)` is not supported\n"
            "  when { principal.ip == ip(\"1.2.3.4\") };\n"
            "                         ^");
}

TEST(ParserTest, CaretCountsCharactersAndKeepsTabs) {
  EXPECT_EQ(ParseError("permit(principal, action, resource)\n\twhen { \"\u00e9\" == ? };"),
            "test.cedar:2:16: unexpected character `?`\n"
            "\twhen { \"\u00e9\" == ? };\n"
            "\t              ^");
}

TEST(ParserTest, ReportsSeveralErrors) {
  std::string message = ParseError(
      "permit(principal, action, resource) when { 1 + };\n"
      "permit(principal, action, resource);\n"
      "forbid(principal, action, resource) when { x };\n");
  EXPECT_THAT(message, HasSubstr("test.cedar:1:48: expected an expression, found `}`"));
  EXPECT_THAT(message, HasSubstr("\n\ntest.cedar:3:44: unknown variable `x`"));
}

TEST(ParserTest, SyntaxErrors) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"allow(principal, action, resource);", "1:1: expected `permit` or `forbid`, found `allow`"},
      {"permit(principal, action, resource)", "1:36: expected `;`, found end of input"},
      {"permit(principal, action);", "1:25: expected `,`, found `)`"},
      {"permit(action, principal, resource);", "1:8: expected `principal`, found `action`"},
      {"permit(principal, action, resource, context);", "1:35: the scope has exactly three"},
      {"permit(principal = User::\"a\", action, resource);", "1:18: unexpected `=`; Cedar's"},
      {"permit(principal == User, action, resource);", "expected an entity reference"},
      {"permit(principal in [User::\"a\"], action, resource);",
       "`principal in [...]` is not valid Cedar"},
      {"permit(principal, action == User::\"read\", resource);",
       "1:29: expected an entity of type `Action`"},
      {"permit(principal, action is Action, resource);", "`is` is not allowed in the action"},
      {"permit(principal, action, resource) when {};", "1:43: the `when` clause is empty"},
      {"permit(principal, action, resource) if { true };", "expected `when`, `unless` or `;`"},
      {"permit(principal, action, resource) when { true ;", "expected `}`, found `;`"},
      {"permit(principal, action, resource) when { \"abc };", "1:44: unterminated string"},
      {"permit(principal, action, resource) when { \"a\\qb\" };", "1:46: invalid escape `\\q`"},
      {"permit(principal, action, resource) when { \"\\u{d800}\" };", "not a Unicode scalar"},
      {"permit(principal, action, resource) when { \"\\*\" };", "only valid in a `like`"},
      {"permit(principal, action, resource) when { 9223372036854775808 };", "out of range"},
      {"permit(principal, action, resource) when { 99999999999999999999999 };", "too large"},
      {"permit(principal, action, resource) when { 1 < 2 < 3 };",
       "`<` cannot follow another comparison"},
      {"permit(principal, action, resource) when { 1 == 1 == true };", "cannot follow"},
      {"permit(principal, action, resource) when { !!!!!true };", "too many occurrences of `!`"},
      {"permit(principal, action, resource) when { !-1 };", "cannot be mixed"},
      {"permit(principal, action, resource) when { 1 / 2 };", "the `/` operator does not exist"},
      {"permit(principal, action, resource) when { 1 & 2 };", "Cedar's operators are `&&`"},
      {"permit(principal, action, resource) when { {a: 1, a: 2} };", "duplicate key `a`"},
      {"permit(principal, action, resource) when { principal.if };", "`if` is a reserved word"},
      {"permit(principal, action, resource) when { principal[1] };", "only a string literal"},
      {"permit(principal, action, resource) when { 1 + if true then 1 else 2 };",
       "must be parenthesized"},
      {"permit(principal, action, resource) when { if true then 1 };", "expected `else`"},
      {"permit(principal, action, resource) when { principal like 1 };", "a string literal"},
      {"permit(principal, action, resource) when { principal is User::\"a\" };",
       "`is` takes an entity type"},
      {"permit(principal, action, resource) when { A::B };", "expected `::\"id\"` after"},
      {"permit(principal, action, resource) when { principal.roles.contains() };",
       "takes exactly one argument, got 0"},
      {"permit(principal, action, resource) when { principal.frobnicate(1) };",
       "unknown method `.frobnicate()`"},
      {"permit(principal, action, resource) when { foo(1) };", "unknown function `foo(...)`"},
      {"@id(\"a\") @id(\"b\") permit(principal, action, resource);", "duplicate annotation `@id`"},
      {"@id(\"a\") permit(principal, action, resource); @id(\"a\") forbid(principal, action, "
       "resource);",
       "1:47: duplicate policy id \"a\" (first used at line 1, column 1)\n"},
      {"@id(\"policy1\") permit(principal, action, resource); permit(principal, action, "
       "resource);",
       "duplicate policy id \"policy1\""},
      {"permit(principal, action, resource) when { # };", "unexpected character `#`"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseError(c.text), HasSubstr(c.message)) << c.text;
  }
}

TEST(ParserTest, UnsupportedConstructsAreNamed) {
  struct Case {
    const char* condition;
    const char* message;
  };
  const Case cases[] = {
      {"ip(\"1.2.3.4\").isIpv4()", "the extension function `ip(...)` is not supported"},
      {"decimal(\"1.0\") == decimal(\"1.0\")", "the extension function `decimal(...)`"},
      {"datetime(\"2024-01-01\") == 1", "the extension function `datetime(...)`"},
      {"duration(\"1h\") == 1", "the extension function `duration(...)`"},
      {"context.ip.isIpv4()", "the method `.isIpv4()` is not supported"},
      {"context.x.lessThan(context.y)", "the method `.lessThan()` is not supported"},
      {"principal.roles.isEmpty()", "the method `.isEmpty()` is not supported"},
      {"principal.getTag(\"t\") == 1", "the method `.getTag()` is not supported"},
      {"principal.hasTag(\"t\")", "the method `.hasTag()` is not supported"},
      {"principal has address.city", "`has` with an attribute path"},
      {"principal == ?principal", "template slots (`?principal`) are not supported"},
  };
  for (const Case& c : cases) {
    std::string text =
        std::string("permit(principal, action, resource) when { ") + c.condition + " };";
    EXPECT_THAT(ParseError(text), HasSubstr(c.message)) << text;
  }
  EXPECT_THAT(ParseError("permit(principal == ?principal, action, resource);"),
              HasSubstr("1:21: template slots (`?principal`) are not supported"));
  EXPECT_THAT(ParseError("permit(principal, action, resource in ?resource);"),
              HasSubstr("template slots (`?resource`) are not supported"));
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  EXPECT_THAT(ParseError("permit(principal, action, resource) when { " + deep + " };"),
              HasSubstr("nested too deeply"));
  std::string chain = "true";
  for (int i = 0; i < 5000; ++i) chain += " && true";
  EXPECT_THAT(ParseError("permit(principal, action, resource) when { " + chain + " };"),
              HasSubstr("nested too deeply"));
}

TEST(ParserTest, TrailingCommasAreAccepted) {
  EXPECT_OK(ParsePolicies(
      "permit(principal, action in [Action::\"a\",], resource) when { [1,] == {a: 1,}.a };"));
}

TEST(ParserTest, MergeRenumbersDefaultIdsAcrossFiles) {
  ASSERT_OK_AND_ASSIGN(PolicySet a, ParsePolicies("permit(principal, action, resource);\n"
                                                  "@id(\"named\") forbid(principal, action, "
                                                  "resource);",
                                                  "a.cedar"));
  ASSERT_OK_AND_ASSIGN(PolicySet b, ParsePolicies("permit(principal, action, resource);", "b"));
  ASSERT_OK_AND_ASSIGN(PolicySet merged, PolicySet::Merge({a, b}));
  EXPECT_THAT(merged.ids(), ::testing::ElementsAre("policy0", "named", "policy2"));
  EXPECT_EQ(merged.source_text(), a.source_text() + "\n" + b.source_text());
  EXPECT_EQ(merged.policy(2).location.file, "b");
  ASSERT_OK_AND_ASSIGN(PolicySet c, ParsePolicies("@id(\"named\") permit(principal, action, "
                                                  "resource);"));
  EXPECT_THAT(PolicySet::Merge({a, c}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParserTest, ParseEntityUid) {
  ASSERT_OK_AND_ASSIGN(EntityUid uid, ParseEntityUid(R"(NS::User::"a\"b")"));
  EXPECT_EQ(uid, (EntityUid{"NS::User", "a\"b"}));
  EXPECT_THAT(ParseEntityUid("User"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseEntityUid(R"(User::"a" x)"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::policy
