#include "policy/evaluator.h"

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/parser.h"
#include "util/status_matchers.h"

namespace domicile::policy {
namespace {

using ::testing::HasSubstr;

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto es = Entities::Create({
        {{"User", "bob"},
         {{"location", Value::String("US")},
          {"age", Value::Long(40)},
          {"roles", Value::Set({Value::String("engineer"), Value::String("oncall")})},
          {"manager", Value::Entity({"User", "alice"})},
          {"address", Value::Record({{"city", Value::String("Austin")}})}},
         {{"Team", "feed"}}},
        {{"User", "alice"}, {{"location", Value::String("US")}}, {{"Org", "usds"}}},
        {{"Team", "feed"}, {}, {{"Org", "usds"}}},
        {{"Record", "u1/email"},
         {{"jurisdiction", Value::String("US")}, {"class", Value::String("protected")}},
         {}},
    });
    ASSERT_OK(es);
    entities_ = *std::move(es);
    request_.principal = {"User", "bob"};
    request_.action = {"Action", "read"};
    request_.resource = {"Record", "u1/email"};
    request_.context =
        Value::Record({{"purpose", Value::String("support")}, {"time", Value::Long(1000)}});
  }

  absl::StatusOr<Value> Eval(std::string_view text) {
    auto expr = ParseExpression(text);
    if (!expr.ok()) return expr.status();
    Evaluator evaluator(entities_, request_);
    return evaluator.Evaluate(*expr);
  }
  // The expression must evaluate to this bool.
  void ExpectBool(std::string_view text, bool expected) {
    auto v = Eval(text);
    ASSERT_OK(v) << text;
    ASSERT_TRUE(v->is_bool()) << text << " -> " << v->ToString();
    EXPECT_EQ(v->bool_value(), expected) << text;
  }
  // The expression must fail to evaluate with a message containing `message`.
  void ExpectError(std::string_view text, std::string_view message) {
    auto v = Eval(text);
    ASSERT_FALSE(v.ok()) << text << " -> " << v->ToString();
    EXPECT_THAT(std::string(v.status().message()), HasSubstr(std::string(message))) << text;
  }

  Entities entities_;
  Request request_;
};

TEST_F(EvaluatorTest, Literals) {
  ASSERT_OK_AND_ASSIGN(Value v, Eval(R"("a\"b\u{e9}\x41\n")"));
  EXPECT_EQ(v, Value::String("a\"b\xc3\xa9"
                             "A\n"));
  ASSERT_OK_AND_ASSIGN(v, Eval("-9223372036854775808"));
  EXPECT_EQ(v, Value::Long(INT64_MIN));
  ASSERT_OK_AND_ASSIGN(v, Eval("[1, 2, 1]"));
  EXPECT_EQ(v, Value::Set({Value::Long(1), Value::Long(2)}));
  ASSERT_OK_AND_ASSIGN(v, Eval(R"({a: 1, "b c": principal})"));
  EXPECT_EQ(v, Value::Record({{"a", Value::Long(1)}, {"b c", Value::Entity({"User", "bob"})}}));
  ASSERT_OK_AND_ASSIGN(v, Eval(R"(A::B::"x")"));
  EXPECT_EQ(v, Value::Entity({"A::B", "x"}));
}

TEST_F(EvaluatorTest, Variables) {
  ExpectBool(R"(principal == User::"bob")", true);
  ExpectBool(R"(action == Action::"read")", true);
  ExpectBool(R"(resource == Record::"u1/email")", true);
  ExpectBool(R"(context == {purpose: "support", time: 1000})", true);
}

TEST_F(EvaluatorTest, AttributeAccess) {
  ExpectBool(R"(principal.location == "US")", true);
  ExpectBool(R"(principal["location"] == resource.jurisdiction)", true);
  ExpectBool(R"(principal.address.city == "Austin")", true);
  ExpectBool(R"(principal.manager.location == "US")", true);
  ExpectBool(R"(context.purpose == "support")", true);
  ExpectBool(R"({a: {b: 1}}.a.b == 1)", true);
  ExpectError("principal.missing", "does not have the attribute `missing`");
  ExpectError("context.missing", "does not have the attribute `missing`");
  ExpectError(R"(User::"ghost".location)", "User::\"ghost\" does not exist");
  ExpectError("principal.age.x", "type error");
  ExpectError(R"("s".x)", "type error");
  ExpectError("action.x", "does not exist");  // Action::"read" is not in the store
}

TEST_F(EvaluatorTest, Has) {
  ExpectBool("principal has location", true);
  ExpectBool(R"(principal has "location")", true);
  ExpectBool("principal has missing", false);
  ExpectBool(R"(User::"ghost" has location)", false);  // absent entity: false, not an error
  ExpectBool("context has purpose", true);
  ExpectBool("context has grant", false);
  ExpectBool("principal.address has city", true);
  ExpectBool("principal has missing && principal.missing == 1", false);  // guard pattern
  ExpectError("1 has a", "type error");
}

TEST_F(EvaluatorTest, Equality) {
  ExpectBool(R"(1 == "1")", false);  // different types: unequal, no error
  ExpectBool(R"(1 != "1")", true);
  ExpectBool("[1, 2] == [2, 1]", true);
  ExpectBool("[1, 2, 2] == [1, 2]", true);
  ExpectBool("{a: 1, b: 2} == {b: 2, a: 1}", true);
  ExpectBool(R"(User::"bob" == Team::"bob")", false);
  ExpectBool("principal == principal.manager", false);
  ExpectBool("true == true", true);
}

TEST_F(EvaluatorTest, Comparison) {
  ExpectBool("1 < 2", true);
  ExpectBool("2 <= 2", true);
  ExpectBool("1 > 2", false);
  ExpectBool("2 >= 3", false);
  ExpectBool("principal.age >= 18", true);
  ExpectError(R"("a" < "b")", "type error");
  ExpectError("true < 1", "type error");
}

TEST_F(EvaluatorTest, Arithmetic) {
  ASSERT_OK_AND_ASSIGN(Value v, Eval("1 + 2 * 3 - -4"));
  EXPECT_EQ(v, Value::Long(11));
  ASSERT_OK_AND_ASSIGN(v, Eval("-(2 - 5)"));
  EXPECT_EQ(v, Value::Long(3));
  ASSERT_OK_AND_ASSIGN(v, Eval("principal.age * principal.age"));
  EXPECT_EQ(v, Value::Long(1600));
  ExpectError("9223372036854775807 + 1", "overflow");
  ExpectError("-9223372036854775808 - 1", "overflow");
  ExpectError("4611686018427387904 * 2", "overflow");
  ExpectError("-(-9223372036854775808)", "overflow");
  ExpectError(R"(1 + "a")", "type error");
}

TEST_F(EvaluatorTest, BooleanOperatorsShortCircuit) {
  ExpectBool("true && false", false);
  ExpectBool("false || true", true);
  ExpectBool("!false", true);
  ExpectBool("!!true", true);
  // The right side is not evaluated when the left decides, so its error does not count.
  ExpectBool("false && principal.missing", false);
  ExpectBool("true || principal.missing", true);
  ExpectBool("false && 1", false);
  ExpectError("true && principal.missing", "missing");
  ExpectError("false || principal.missing", "missing");
  // Non-bool operands are type errors.
  ExpectError("1 && true", "type error");
  ExpectError("true && 1", "type error");
  ExpectError("false || 1", "type error");
  ExpectError("!1", "type error");
}

TEST_F(EvaluatorTest, IfThenElse) {
  ASSERT_OK_AND_ASSIGN(Value v, Eval("if principal.age > 18 then \"adult\" else principal.x"));
  EXPECT_EQ(v, Value::String("adult"));  // the other branch is not evaluated
  ASSERT_OK_AND_ASSIGN(v, Eval("if false then 1 else if true then 2 else 3"));
  EXPECT_EQ(v, Value::Long(2));
  ExpectError("if 1 then 2 else 3", "type error");
}

TEST_F(EvaluatorTest, InIsTransitiveOverParents) {
  ExpectBool(R"(principal in Team::"feed")", true);
  ExpectBool(R"(principal in Org::"usds")", true);  // via Team::"feed"
  ExpectBool(R"(principal in principal)", true);    // an entity is in itself
  ExpectBool(R"(principal in User::"alice")", false);
  ExpectBool(R"(principal in [User::"alice", Org::"usds"])", true);
  ExpectBool(R"(principal in [])", false);
  ExpectBool(R"(User::"ghost" in User::"ghost")", true);  // absent: only itself
  ExpectBool(R"(User::"ghost" in Org::"usds")", false);
  ExpectBool(R"(principal.manager in Org::"usds")", true);
  ExpectError(R"("bob" in Org::"usds")", "type error");
  ExpectError(R"(principal in "usds")", "type error");
  ExpectError(R"(principal in [Org::"usds", 1])", "type error");
}

TEST_F(EvaluatorTest, Like) {
  ExpectBool(R"("u1/email" like "u1/*")", true);
  ExpectBool(R"("u1/email" like "*email")", true);
  ExpectBool(R"("u1/email" like "*")", true);
  ExpectBool(R"("" like "*")", true);
  ExpectBool(R"("u1/email" like "u*l")", true);
  ExpectBool(R"("u1/email" like "u*x")", false);
  ExpectBool(R"("aXbXc" like "a*b*c")", true);
  ExpectBool(R"("abc" like "abc")", true);
  ExpectBool(R"("abc" like "ab")", false);
  ExpectBool(R"("a*c" like "a\*c")", true);  // escaped star is literal
  ExpectBool(R"("abc" like "a\*c")", false);
  ExpectBool(R"("caf\u{e9}" like "caf*")", true);
  ExpectError(R"(1 like "*")", "type error");
}

TEST_F(EvaluatorTest, Is) {
  ExpectBool("principal is User", true);
  ExpectBool("principal is Team", false);
  ExpectBool(R"(A::B::"x" is A::B)", true);
  ExpectBool(R"(principal is User in Org::"usds")", true);
  ExpectBool(R"(principal is Team in Org::"usds")", false);
  ExpectError(R"("x" is User)", "type error");
}

TEST_F(EvaluatorTest, SetMethods) {
  ExpectBool(R"(principal.roles.contains("engineer"))", true);
  ExpectBool(R"(principal.roles.contains("admin"))", false);
  ExpectBool(R"([1, "a", principal].contains(User::"bob"))", true);
  ExpectBool(R"(principal.roles.containsAll(["engineer", "oncall"]))", true);
  ExpectBool(R"(principal.roles.containsAll(["engineer", "admin"]))", false);
  ExpectBool(R"(principal.roles.containsAll([]))", true);
  ExpectBool(R"(principal.roles.containsAny(["admin", "oncall"]))", true);
  ExpectBool(R"(principal.roles.containsAny([]))", false);
  ExpectBool("[[1, 2]].contains([2, 1])", true);
  ExpectError(R"("engineer".contains("e"))", "type error");
  ExpectError(R"(principal.roles.containsAll("engineer"))", "type error");
  ExpectError(R"(principal.roles.containsAny(1))", "type error");
}

TEST_F(EvaluatorTest, SetAndRecordLiteralsPropagateErrors) {
  ExpectError("[1, principal.missing]", "missing");
  ExpectError("{a: principal.missing}", "missing");
  ASSERT_OK_AND_ASSIGN(Value v, Eval("[principal.location, \"US\"]"));
  EXPECT_EQ(v, Value::Set({Value::String("US")}));
}

TEST_F(EvaluatorTest, Precedence) {
  ExpectBool("1 + 2 * 3 == 7", true);
  ExpectBool("true || false && false", true);  // && binds tighter
  ExpectBool("!true || true", true);
  ExpectBool(R"(principal in Team::"feed" && principal.age > 1 + 2)", true);
  // `else` takes everything after it.
  ASSERT_OK_AND_ASSIGN(Value v, Eval("if true then 1 else 2 + 3"));
  EXPECT_EQ(v, Value::Long(1));
}

}  // namespace
}  // namespace domicile::policy
