// A node as one of a regional group behind a router: it names itself in every answer, serves
// the subject directory to the router's token only, counts its answers per jurisdiction at
// /metrics, and believes X-Forwarded-For from the router's address only.
#include <string>

#include "crypto/sha256.h"
#include "e2e_fixture.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/encoding.h"
#include "util/file.h"

namespace domicile::testing {
namespace {

constexpr char kRouterToken[] = "router-directory-token";
constexpr char kWriter[] = "svc-app-token";

class NodeFrontTest : public NodeTest {
 protected:
  // The example, as node "us-1" in the US, behind a router at `proxies`.
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartWith("[\"127.0.0.1/32\"]")); }

  void StartWith(const std::string& proxies) {
    std::string text = ExampleConfigText();
    text.replace(text.find("[node]\n"), 7, "[node]\nname = \"us-1\"\njurisdiction = \"US\"\n");
    text += "\n[router]\nproxies = " + proxies + "\ndirectory_token_sha256 = \"" +
            HexEncode(crypto::Sha256(AsBytes(std::string_view(kRouterToken)))) + "\"\n";
    config_ = (dir_ / "node.toml").string();
    ASSERT_TRUE(WriteFileAtomically(config_, AsBytes(text)).ok());
    node_.reset();
    ASSERT_NO_FATAL_FAILURE(StartNode());
  }

  void Register(const std::string& id, const std::string& jurisdiction) {
    auto r = Call(kWriter, "POST", "/v1/subjects",
                  nlohmann::json{{"id", id}, {"jurisdiction", jurisdiction}}.dump());
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.body;
  }

  // The source_ip the log recorded for the request answered by `r`.
  std::string LoggedSource(const http::ClientResponse& r) {
    auto index = r.GetHeader("Domicile-Log-Index");
    EXPECT_TRUE(index.has_value());
    if (!index.has_value()) return "";
    auto entry = Call("", "GET", "/v1/log/entries/" + std::string(*index));
    nlohmann::json j = nlohmann::json::parse(entry.body, nullptr, false);
    return j.is_object() && j.contains("source_ip") ? j["source_ip"].get<std::string>()
                                                    : "<none: " + entry.body + ">";
  }
};

TEST_F(NodeFrontTest, EveryAnswerNamesTheNode) {
  EXPECT_EQ(Call("", "GET", "/healthz").GetHeader("Domicile-Node").value_or(""), "us-1");
  EXPECT_EQ(
      Call("", "GET", "/v1/subjects/nobody/records/x").GetHeader("Domicile-Node").value_or(""),
      "us-1");
}

TEST_F(NodeFrontTest, TheDirectoryIsForTheRouterOnly) {
  for (const char* id : {"u3", "u1", "u2", "a1"}) ASSERT_NO_FATAL_FAILURE(Register(id, "US"));

  EXPECT_EQ(Call("", "GET", "/v1/directory").status, 401);
  EXPECT_EQ(Call(kWriter, "GET", "/v1/directory").status, 401) << "a principal is no router";
  EXPECT_EQ(Call(kWriter, "GET", "/v1/directory/u1").status, 401);

  auto page = Call(kRouterToken, "GET", "/v1/directory?limit=2");
  ASSERT_EQ(page.status, 200) << page.body;
  nlohmann::json j = nlohmann::json::parse(page.body);
  ASSERT_EQ(j["subjects"].size(), 2u);
  EXPECT_EQ(j["subjects"][0]["id"], "a1");
  EXPECT_EQ(j["subjects"][0]["jurisdiction"], "US");
  EXPECT_EQ(j["subjects"][1]["id"], "u1");
  ASSERT_EQ(j["next"], "u1");
  page = Call(kRouterToken, "GET", "/v1/directory?limit=2&after=u1");
  j = nlohmann::json::parse(page.body);
  ASSERT_EQ(j["subjects"].size(), 2u);
  EXPECT_EQ(j["subjects"][1]["id"], "u3");
  page = Call(kRouterToken, "GET", "/v1/directory?after=u3");
  j = nlohmann::json::parse(page.body);
  EXPECT_TRUE(j["subjects"].empty());
  EXPECT_TRUE(j["next"].is_null());

  auto one = Call(kRouterToken, "GET", "/v1/directory/u2");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(nlohmann::json::parse(one.body)["jurisdiction"], "US");
  EXPECT_EQ(Call(kRouterToken, "GET", "/v1/directory/nobody").status, 404);
  EXPECT_EQ(Call(kRouterToken, "GET", "/v1/directory?limit=0").status, 400);
  EXPECT_EQ(Call(kRouterToken, "GET", "/v1/directory?color=red").status, 400);
  EXPECT_EQ(Call(kRouterToken, "POST", "/v1/directory").status, 405);
}

TEST_F(NodeFrontTest, MetricsCountAnswersPerJurisdictionAndStatus) {
  ASSERT_NO_FATAL_FAILURE(Register("u1", "US"));
  // The example's writer may not register SG subjects: refused, and counted under SG.
  ASSERT_EQ(Call(kWriter, "POST", "/v1/subjects", R"({"id":"s1","jurisdiction":"SG"})").status,
            403);
  ASSERT_EQ(Call(kWriter, "PUT", "/v1/subjects/u1/records/email?class=public", "a@b").status, 201);
  EXPECT_EQ(Call(kWriter, "GET", "/v1/subjects/u1/records/email").status, 200);
  EXPECT_EQ(Call(kWriter, "GET", "/v1/subjects/u1/records/none").status, 404);

  auto metrics = Call("", "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.GetHeader("Content-Type").value_or("").find("text/plain"), std::string::npos);
  const std::string& m = metrics.body;
  EXPECT_NE(m.find("domicile_node_info{node=\"us-1\",jurisdiction=\"US\"} 1\n"), std::string::npos)
      << m;
  // One registration (201), one put (201), one read, one 404.
  EXPECT_NE(
      m.find("domicile_node_requests_total{node=\"us-1\",jurisdiction=\"US\",status=\"201\"} 2\n"),
      std::string::npos)
      << m;
  EXPECT_NE(
      m.find("domicile_node_requests_total{node=\"us-1\",jurisdiction=\"US\",status=\"200\"} 1\n"),
      std::string::npos)
      << m;
  EXPECT_NE(
      m.find("domicile_node_requests_total{node=\"us-1\",jurisdiction=\"US\",status=\"404\"} 1\n"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("domicile_node_in_jurisdiction_ratio{node=\"us-1\",jurisdiction=\"US\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(
      m.find("domicile_node_requests_total{node=\"us-1\",jurisdiction=\"SG\",status=\"403\"} 1\n"),
      std::string::npos)
      << m;
  // The SG subject's registration was answered by a US node: its share is 0, and says so.
  EXPECT_NE(m.find("domicile_node_in_jurisdiction_ratio{node=\"us-1\",jurisdiction=\"SG\"} 0\n"),
            std::string::npos)
      << m;
}

TEST_F(NodeFrontTest, ForwardedForIsBelievedFromTheRouterOnly) {
  ASSERT_NO_FATAL_FAILURE(Register("u1", "US"));
  auto via_router = Call(kWriter, "PUT", "/v1/subjects/u1/records/a?class=public", "x",
                         {{"X-Forwarded-For", "203.0.113.7"}});
  ASSERT_EQ(via_router.status, 201) << via_router.body;
  EXPECT_EQ(LoggedSource(via_router), "203.0.113.7");

  // The router is elsewhere: the same header from this address is somebody's claim.
  ASSERT_NO_FATAL_FAILURE(StartWith("[\"10.9.9.9/32\"]"));
  auto claimed = Call(kWriter, "PUT", "/v1/subjects/u1/records/b?class=public", "x",
                      {{"X-Forwarded-For", "203.0.113.7"}});
  ASSERT_EQ(claimed.status, 201) << claimed.body;
  EXPECT_EQ(LoggedSource(claimed), "127.0.0.1");
}

}  // namespace
}  // namespace domicile::testing
