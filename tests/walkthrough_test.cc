// The README's walkthrough, end to end against the real binary with the example deployment.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "e2e_fixture.h"
#include "gmock/gmock.h"

namespace domicile::testing {
namespace {

using ::testing::HasSubstr;

class WalkthroughTest : public NodeTest {};

TEST_F(WalkthroughTest, TheStory) {
  // A service registers a US user and writes a protected record.
  auto reg = Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})");
  EXPECT_EQ(reg.status, 201) << reg.body;
  EXPECT_EQ(
      Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})").status,
      200);
  auto moved = Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"SG"})");
  EXPECT_EQ(moved.status, 409);

  auto put = Call("svc-app-token", "PUT", "/v1/subjects/u1/records/email?class=protected",
                  "u1@example.com");
  EXPECT_EQ(put.status, 201) << put.body;
  EXPECT_THAT(put.body, HasSubstr(R"("site":"oci-us-tx")"));
  EXPECT_THAT(put.body, HasSubstr(R"("version":1)"));
  EXPECT_THAT(put.body, HasSubstr(R"("subject":"u1")"));
  EXPECT_THAT(put.body, HasSubstr(R"("key":"email")"));
  auto again = Call("svc-app-token", "PUT", "/v1/subjects/u1/records/email?class=protected",
                    "u1@example.org");
  EXPECT_EQ(again.status, 200);
  EXPECT_THAT(again.body, HasSubstr(R"("version":2)"));

  // A US engineer holds no standing access: refused without a grant ...
  auto no_grant = Call("bob-token", "GET", "/v1/subjects/u1/records/email");
  EXPECT_EQ(no_grant.status, 403);
  EXPECT_THAT(no_grant.body, ::testing::Not(HasSubstr("u1@example")));
  // ... and reads it under a grant that alice and carol approved.
  const std::string grant = ActiveGrant("bob-token", "subject:u1", {"read", "list"});
  auto read = Call("bob-token", "GET", "/v1/subjects/u1/records/email", "", Under(grant));
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, "u1@example.org");
  EXPECT_EQ(read.GetHeader("Domicile-Version"), "2");
  EXPECT_EQ(read.GetHeader("Domicile-Site"), "oci-us-tx");
  EXPECT_EQ(read.GetHeader("Domicile-Class"), "protected");

  // An engineer in China is refused, and so is the parent company's "Master Admin".
  for (const char* token : {"li-token", "admin-token"}) {
    auto refused = Call(token, "GET", "/v1/subjects/u1/records/email");
    EXPECT_EQ(refused.status, 403) << token;
    EXPECT_EQ(ErrorCode(refused), "denied");
    EXPECT_THAT(refused.body, HasSubstr("forbidden by no-parent-on-protected"));
    EXPECT_THAT(refused.body, ::testing::Not(HasSubstr("u1@example")));
    EXPECT_EQ(Call(token, "GET", "/v1/subjects/u1/records").status, 403);
  }

  // A write aimed at the Singapore site, or the legacy Virginia one, is a residency violation
  // and writes nothing.
  for (const char* site : {"own-sg", "own-us-va", "oci-us-backup"}) {
    auto bad =
        Call("svc-app-token", "PUT",
             std::string("/v1/subjects/u1/records/phone?class=protected&site=") + site, "555");
    EXPECT_EQ(bad.status, 422) << site << bad.body;
    EXPECT_EQ(ErrorCode(bad), "residency_violation");
  }
  EXPECT_EQ(Call("bob-token", "GET", "/v1/subjects/u1/records/phone", "", Under(grant)).status,
            404);

  // Public data is readable by anyone authenticated.
  EXPECT_EQ(
      Call("svc-app-token", "PUT", "/v1/subjects/u1/records/handle?class=public", "@u1").status,
      201);
  auto pub = Call("li-token", "GET", "/v1/subjects/u1/records/handle");
  EXPECT_EQ(pub.status, 200);
  EXPECT_EQ(pub.body, "@u1");

  // Listing shows keys, classes and versions, never values.
  auto list = Call("bob-token", "GET", "/v1/subjects/u1/records", "", Under(grant));
  EXPECT_EQ(list.status, 200);
  EXPECT_THAT(list.body, HasSubstr(R"("key":"email")"));
  EXPECT_THAT(list.body, HasSubstr(R"("class":"protected")"));
  EXPECT_THAT(list.body, HasSubstr(R"("key":"handle")"));
  EXPECT_THAT(list.body, ::testing::Not(HasSubstr("example")));

  // Engineers cannot write; the writer deletes.
  EXPECT_EQ(Call("bob-token", "DELETE", "/v1/subjects/u1/records/handle").status, 403);
  EXPECT_EQ(Call("svc-app-token", "DELETE", "/v1/subjects/u1/records/handle").status, 204);
  EXPECT_EQ(Call("bob-token", "GET", "/v1/subjects/u1/records/handle", "", Under(grant)).status,
            404);
  EXPECT_EQ(Call("bob-token", "GET", "/v1/subjects/nobody/records/x").status, 404);

  // No token, or a wrong one: 401.
  EXPECT_EQ(Call("", "GET", "/v1/subjects/u1/records/email").status, 401);
  EXPECT_EQ(Call("bob-token-x", "GET", "/v1/subjects/u1/records/email").status, 401);
  EXPECT_EQ(Call("", "GET", "/healthz").body, "ok");

  // A graceful stop exits 0.
  EXPECT_EQ(node_->Terminate(), 0);
}

// Every file under the data directory, concatenated.
std::string AllBytesUnder(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

TEST_F(WalkthroughTest, DataOnDiskIsCiphertext) {
  const std::string secret = "SSN-078-05-1120-known-plaintext-marker";
  ASSERT_EQ(
      Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})").status,
      201);
  ASSERT_EQ(
      Call("svc-app-token", "PUT", "/v1/subjects/u1/records/ssn?class=protected", secret).status,
      201);
  const std::string grant = ActiveGrant("bob-token", "subject:u1");
  ASSERT_EQ(Call("bob-token", "GET", "/v1/subjects/u1/records/ssn", "", Under(grant)).body, secret);
  ASSERT_EQ(node_->Terminate(), 0);  // flush everything to files
  std::string all = AllBytesUnder(dir_ / "data");
  EXPECT_GT(all.size(), 0u);
  EXPECT_EQ(all.find(secret), std::string::npos) << "plaintext found on disk";
  EXPECT_EQ(all.find("svc-app-token"), std::string::npos) << "a token found on disk";
  // And the node still reads it after a restart, under the same grant.
  StartNode();
  EXPECT_EQ(Call("bob-token", "GET", "/v1/subjects/u1/records/ssn", "", Under(grant)).body, secret);
}

}  // namespace
}  // namespace domicile::testing
