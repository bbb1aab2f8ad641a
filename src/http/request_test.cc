#include "http/request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::http {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::Pair;

TEST(RequestTest, GetHeaderIsCaseInsensitiveAndReturnsFirstMatch) {
  Request request;
  request.headers = {{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}};
  EXPECT_THAT(request.GetHeader("content-type"), Optional(std::string_view("text/plain")));
  EXPECT_THAT(request.GetHeader("X-a"), Optional(std::string_view("1")));
  EXPECT_EQ(request.GetHeader("missing"), std::nullopt);
}

TEST(PercentDecodeTest, DecodesEscapes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc%2fd").value(), "a b/c/d");
  EXPECT_EQ(PercentDecode("plus+stays").value(), "plus+stays");
  EXPECT_EQ(PercentDecode("%E2%82%AC").value(), "\xE2\x82\xAC");
  EXPECT_EQ(PercentDecode("").value(), "");
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  EXPECT_THAT(PercentDecode("%"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%2"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%zz"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("ab%g1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PercentDecodeTest, RejectsDecodedNul) {
  EXPECT_THAT(PercentDecode("a%00b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseQueryTest, SplitsAndDecodes) {
  auto fields = ParseQuery("a=1&b=x%20y+z&flag&&empty=&c=d=e");
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_THAT(*fields, ElementsAre(Pair("a", "1"), Pair("b", "x y z"), Pair("flag", ""),
                                   Pair("empty", ""), Pair("c", "d=e")));
}

TEST(ParseQueryTest, DecodesNames) {
  auto fields = ParseQuery("first+name=J%C3%BCrgen");
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_THAT(*fields, ElementsAre(Pair("first name", "J\xC3\xBCrgen")));
}

TEST(ParseQueryTest, EmptyQueryHasNoFields) {
  auto fields = ParseQuery("");
  ASSERT_TRUE(fields.ok());
  EXPECT_TRUE(fields->empty());
}

TEST(ParseQueryTest, RejectsMalformed) {
  EXPECT_THAT(ParseQuery("a=%"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery("a=%4"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery("a%zz=1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery("a=%00"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery("=value"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::http
