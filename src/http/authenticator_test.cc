#include "http/authenticator.h"

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::http {
namespace {

using ::domicile::testing::StatusIs;

Authenticator Make() {
  std::vector<Credential> creds;
  for (std::string id : {"alice", "bob"}) {
    vault::Principal p;
    p.id = id;
    creds.push_back({crypto::Sha256(AsBytes(id + "-token")), p});
  }
  return Authenticator(std::move(creds));
}

TEST(Authenticator, BearerTokenFindsItsPrincipal) {
  Authenticator auth = Make();
  ASSERT_OK_AND_ASSIGN(const vault::Principal* p, auth.Authenticate("Bearer bob-token"));
  EXPECT_EQ(p->id, "bob");
  ASSERT_OK_AND_ASSIGN(p, auth.Authenticate("bearer alice-token"));
  EXPECT_EQ(p->id, "alice");
}

TEST(Authenticator, AnythingElseIsUnauthenticated) {
  Authenticator auth = Make();
  for (std::optional<std::string_view> header :
       {std::optional<std::string_view>(), std::optional<std::string_view>("Bearer"),
        std::optional<std::string_view>("Bearer "), std::optional<std::string_view>("bob-token"),
        std::optional<std::string_view>("Basic Ym9iOmJvYg=="),
        std::optional<std::string_view>("Bearer bob-token "),
        std::optional<std::string_view>("Bearer carol-token")}) {
    EXPECT_THAT(auth.Authenticate(header), StatusIs(absl::StatusCode::kUnauthenticated))
        << header.value_or("(none)");
  }
}

}  // namespace
}  // namespace domicile::http
