// The router against fake nodes (fake_node.h): two of the US, one of SG, each an in-process
// server that names itself in its answers and records what it received.
#include "router/router.h"

#include <map>
#include <thread>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/client.h"
#include "nlohmann/json.hpp"
#include "router/fake_node.h"
#include "router/router_test_util.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::router {
namespace {

using ::testing::AnyOf;
using testing::FakeNode;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : us1_(std::make_unique<FakeNode>("us-1", "US")),
        us2_(std::make_unique<FakeNode>("us-2", "US")),
        sg1_(std::make_unique<FakeNode>("sg-1", "SG")) {}

  RouterConfig Config(std::chrono::milliseconds health = std::chrono::hours(1)) const {
    RouterConfig c;
    c.listen = "127.0.0.1:0";
    c.data_dir = dir_ / "router";
    c.threads = 2;
    c.health_interval = health;
    c.nodes = {
        {"us-1", "US", us1_->url()}, {"us-2", "US", us2_->url()}, {"sg-1", "SG", sg1_->url()}};
    return c;
  }

  void StartRouter(const RouterConfig& config) {
    client_.reset();
    router_.reset();
    ASSERT_OK_AND_ASSIGN(router_, Router::Start(config, testing::kDirectoryToken));
    ASSERT_TRUE(router_->AwaitSynced(std::chrono::seconds(30)));
    ASSERT_OK_AND_ASSIGN(client_, http::Client::Create(router_->url()));
  }
  void StartRouter() { StartRouter(Config()); }

  http::ClientResponse Do(std::string_view method, std::string_view target,
                          std::string_view body = {}, std::vector<http::Header> headers = {}) {
    absl::StatusOr<http::ClientResponse> r = client_->Do(method, target, headers, body);
    EXPECT_OK(r);
    return r.ok() ? *std::move(r) : http::ClientResponse{};
  }

  // Registers `id` in `j` through the router; returns the node that took it.
  std::string Register(const std::string& id, const std::string& j) {
    http::ClientResponse r =
        Do("POST", "/v1/subjects", nlohmann::json{{"id", id}, {"jurisdiction", j}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.GetHeader("Domicile-Routed-To").value_or(""));
  }

  // Which node answered a request echoed by a fake node.
  static std::string RoutedTo(const http::ClientResponse& r) {
    return std::string(r.GetHeader("Domicile-Routed-To").value_or(""));
  }

  // Requests about `subject` that `node` received.
  static int RequestsAbout(const FakeNode& node, std::string_view subject) {
    int n = 0;
    for (const http::Request& r : node.DataRequests()) {
      n += r.target.find(subject) != std::string::npos || r.body.find(subject) != std::string::npos;
    }
    return n;
  }

  ::domicile::testing::TempDir dir_;
  std::unique_ptr<FakeNode> us1_, us2_, sg1_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<http::Client> client_;
};

TEST_F(RouterTest, RegistrationThenReadsGoToTheHomeJurisdiction) {
  StartRouter();
  EXPECT_THAT(Register("alice", "US"), AnyOf("us-1", "us-2"));
  EXPECT_EQ(Register("bob", "SG"), "sg-1");
  for (int i = 0; i < 6; ++i) {
    http::ClientResponse a = Do("GET", "/v1/subjects/alice/records/email");
    EXPECT_EQ(a.status, 200);
    EXPECT_THAT(RoutedTo(a), AnyOf("us-1", "us-2"));
    EXPECT_EQ(nlohmann::json::parse(a.body)["jurisdiction"], "US");
    http::ClientResponse b = Do("GET", "/v1/subjects/bob/records/email");
    EXPECT_EQ(RoutedTo(b), "sg-1");
  }
  // Round-robin over the US nodes: both served alice.
  EXPECT_GT(RequestsAbout(*us1_, "alice"), 0);
  EXPECT_GT(RequestsAbout(*us2_, "alice"), 0);
  EXPECT_EQ(RequestsAbout(*sg1_, "alice"), 0);
  EXPECT_EQ(RequestsAbout(*us1_, "bob") + RequestsAbout(*us2_, "bob"), 0);
  // Known from the registrations: nobody was asked.
  EXPECT_EQ(us1_->Lookups() + us2_->Lookups() + sg1_->Lookups(), 0);
}

TEST_F(RouterTest, ForwardsMethodTargetBodyAndHeaders) {
  StartRouter();
  Register("alice", "US");
  http::ClientResponse r = Do("PUT", "/v1/subjects/alice/records/k?class=public", "hello",
                              {{"Authorization", "Bearer t"},
                               {"Domicile-Purpose", "support"},
                               {"X-Forwarded-For", "6.6.6.6"},
                               {"Forwarded", "for=6.6.6.6"},
                               {"Connection", "keep-alive, X-Hop"},
                               {"X-Hop", "secret"},
                               {"Keep-Alive", "timeout=5"}});
  ASSERT_EQ(r.status, 200);
  nlohmann::json echo = nlohmann::json::parse(r.body);
  EXPECT_EQ(echo["method"], "PUT");
  EXPECT_EQ(echo["target"], "/v1/subjects/alice/records/k?class=public");
  EXPECT_EQ(echo["body"], "hello");
  // The node's own headers come back, hop-by-hop ones do not; the router names the node.
  EXPECT_EQ(r.GetHeader("X-Node"), RoutedTo(r));
  EXPECT_EQ(r.GetHeader("Keep-Alive"), std::nullopt);
  EXPECT_EQ(r.GetHeader("Content-Type"), "application/json");

  FakeNode& node = RoutedTo(r) == "us-1" ? *us1_ : *us2_;
  const http::Request seen = node.DataRequests().back();
  EXPECT_EQ(seen.GetHeader("Authorization"), "Bearer t");
  EXPECT_EQ(seen.GetHeader("Domicile-Purpose"), "support");
  // X-Forwarded-For is the real peer, replacing what the client claimed.
  int xff = 0;
  for (const http::Header& h : seen.headers)
    xff += http::EqualsIgnoreCase(h.name, "X-Forwarded-For");
  EXPECT_EQ(xff, 1);
  EXPECT_EQ(seen.GetHeader("X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(seen.GetHeader("Forwarded"), std::nullopt);
  EXPECT_EQ(seen.GetHeader("X-Hop"), std::nullopt);
  EXPECT_EQ(seen.GetHeader("Keep-Alive"), std::nullopt);
}

TEST_F(RouterTest, PullsTheNodesDirectoriesAtStart) {
  // More than one page, registered directly at the nodes before the router starts.
  for (int i = 0; i < 2500; ++i) us1_->AddSubject(fmt::format("u{:05}", i), "US");
  sg1_->AddSubject("s1", "SG");
  sg1_->AddSubject("spy", "US");  // a node of SG listing a US subject: not believed
  StartRouter();
  EXPECT_EQ(router_->directory().subjects(), 2501u);
  EXPECT_GE(us1_->Pulls(), 3);
  EXPECT_EQ(RoutedTo(Do("GET", "/v1/subjects/u02499/records/k")).substr(0, 3), "us-");
  EXPECT_EQ(RoutedTo(Do("GET", "/v1/subjects/s1/records/k")), "sg-1");
  EXPECT_EQ(us1_->Lookups() + us2_->Lookups() + sg1_->Lookups(), 0);
  EXPECT_EQ(router_->directory().SubjectJurisdiction("spy"), std::nullopt);
  EXPECT_THAT(router_->MetricsText(), HasSubstr("domicile_router_directory_conflicts_total 1\n"));
}

TEST_F(RouterTest, AsksTheNodesOnAMissAndRemembers) {
  StartRouter();
  sg1_->AddSubject("late", "SG");  // registered at the node after the router's pull
  http::ClientResponse r = Do("GET", "/v1/subjects/late/records/k");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(RoutedTo(r), "sg-1");
  EXPECT_EQ(sg1_->Lookups(), 1);
  EXPECT_EQ(us1_->Lookups() + us2_->Lookups(), 1);  // one node of each jurisdiction
  EXPECT_EQ(RoutedTo(Do("GET", "/v1/subjects/late/records/k")), "sg-1");
  EXPECT_EQ(sg1_->Lookups(), 1);  // remembered

  http::ClientResponse unknown = Do("GET", "/v1/subjects/nobody/records/k");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(nlohmann::json::parse(unknown.body)["error"]["code"], "not_found");
  EXPECT_THAT(us1_->DataRequests(), IsEmpty());
  EXPECT_THAT(us2_->DataRequests(), IsEmpty());
}

TEST_F(RouterTest, RoutesGrantsByScopeThenById) {
  StartRouter();
  Register("alice", "US");
  http::ClientResponse made =
      Do("POST", "/v1/grants", R"({"scope":"subject:alice","purpose":"p","reason":"r"})");
  ASSERT_EQ(made.status, 201);
  const std::string home = RoutedTo(made);
  EXPECT_THAT(home, AnyOf("us-1", "us-2"));
  const std::string id = nlohmann::json::parse(made.body)["id"];
  for (const char* path : {"/v1/grants/{}", "/v1/grants/{}/approvals", "/v1/grants/{}/revoke"}) {
    http::ClientResponse r = Do("POST", fmt::format(fmt::runtime(path), id), "x");
    EXPECT_THAT(RoutedTo(r), AnyOf("us-1", "us-2")) << path;
  }
  http::ClientResponse sg = Do("POST", "/v1/grants", R"({"scope":"jurisdiction:SG"})");
  EXPECT_EQ(RoutedTo(sg), "sg-1");
  const std::string sg_id = nlohmann::json::parse(sg.body)["id"];
  EXPECT_EQ(RoutedTo(Do("GET", "/v1/grants/" + sg_id)), "sg-1");

  http::ClientResponse unknown = Do("GET", "/v1/grants/g-unknown");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr("/j/{J}/v1/grants/g-unknown"));
  // Listing grants is per jurisdiction.
  EXPECT_EQ(Do("GET", "/v1/grants").status, 400);
  EXPECT_EQ(RoutedTo(Do("GET", "/j/SG/v1/grants")), "sg-1");
}

TEST_F(RouterTest, JurisdictionAndNodePrefixes) {
  StartRouter();
  http::ClientResponse j = Do("GET", "/j/SG/v1/policy?x=1");
  EXPECT_EQ(RoutedTo(j), "sg-1");
  EXPECT_EQ(nlohmann::json::parse(j.body)["target"], "/v1/policy?x=1");
  for (const char* target : {"/log/checkpoint", "/log/tile/0/000", "/v1/log/key"}) {
    http::ClientResponse n = Do("GET", std::string("/n/us-2") + target);
    EXPECT_EQ(RoutedTo(n), "us-2");
    EXPECT_EQ(nlohmann::json::parse(n.body)["target"], target);
  }
  EXPECT_EQ(Do("GET", "/n/xx-9/log/checkpoint").status, 404);
  EXPECT_EQ(Do("GET", "/j/FR/v1/policy").status, 404);
  EXPECT_EQ(Do("GET", "/j/us/v1/policy").status, 400);

  http::ClientResponse logs = Do("GET", "/v1/logs");
  ASSERT_EQ(logs.status, 200);
  nlohmann::json list = nlohmann::json::parse(logs.body)["logs"];
  ASSERT_THAT(list, SizeIs(3));
  EXPECT_EQ(list[0]["node"], "sg-1");  // grouped by jurisdiction
  EXPECT_EQ(list[0]["prefix"], "/n/sg-1");
  EXPECT_EQ(list[1]["jurisdiction"], "US");
  EXPECT_EQ(list[2]["prefix"], "/n/us-2");
}

TEST_F(RouterTest, APrefixNeverSendsASubjectAbroad) {
  StartRouter();
  Register("alice", "US");
  http::ClientResponse r = Do("PUT", "/j/SG/v1/subjects/alice/records/k", "US data");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "conflict");
  EXPECT_EQ(Do("GET", "/n/sg-1/v1/subjects/alice/records").status, 409);
  EXPECT_EQ(Do("POST", "/j/SG/v1/subjects", R"({"id":"x1","jurisdiction":"US"})").status, 409);
  EXPECT_EQ(Do("POST", "/j/SG/v1/import?site=s&jurisdiction=US", "{}").status, 409);
  EXPECT_EQ(RequestsAbout(*sg1_, "alice") + RequestsAbout(*sg1_, "x1"), 0);
  EXPECT_THAT(sg1_->DataRequests(), IsEmpty());
  // The same through the right prefix is fine.
  EXPECT_THAT(RoutedTo(Do("GET", "/j/US/v1/subjects/alice/records")), AnyOf("us-1", "us-2"));
}

TEST_F(RouterTest, FailsOverInsideTheJurisdiction) {
  StartRouter();
  Register("alice", "US");
  us1_->Stop();
  for (int i = 0; i < 4; ++i) {
    http::ClientResponse r = Do("GET", "/v1/subjects/alice/records/k");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(RoutedTo(r), "us-2");
  }
  // A POST that could not connect was never sent: it fails over too.
  EXPECT_EQ(RoutedTo(Do("POST", "/v1/subjects/alice/records", "x")), "us-2");
  EXPECT_EQ(RequestsAbout(*sg1_, "alice"), 0);
  Metrics m(router_->MetricsText());
  EXPECT_EQ(m.Get("domicile_router_node_up{node=\"us-1\",jurisdiction=\"US\"}"), 0);
  EXPECT_EQ(m.Get("domicile_router_node_up{node=\"us-2\",jurisdiction=\"US\"}"), 1);
  EXPECT_EQ(m.Get("domicile_router_in_jurisdiction_ratio{jurisdiction=\"US\"}"), 1);
}

TEST_F(RouterTest, NoUsNodeUpMeans503AndNothingGoesAbroad) {
  StartRouter();
  Register("alice", "US");
  const size_t sg_before = sg1_->DataRequests().size();
  us1_->Stop();
  us2_->Stop();
  for (const char* method : {"GET", "PUT", "DELETE", "POST"}) {
    http::ClientResponse r = Do(method, "/v1/subjects/alice/records/k", "x");
    EXPECT_EQ(r.status, 503) << method;
    nlohmann::json error = nlohmann::json::parse(r.body)["error"];
    EXPECT_EQ(error["code"], "unavailable");
    EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("jurisdiction US"));
    EXPECT_TRUE(r.GetHeader("Retry-After").has_value());
  }
  EXPECT_EQ(Do("POST", "/v1/subjects", R"({"id":"carol","jurisdiction":"US"})").status, 503);
  EXPECT_EQ(Do("GET", "/j/US/v1/policy").status, 503);
  EXPECT_EQ(sg1_->DataRequests().size(), sg_before);  // SG never saw a US request
  EXPECT_EQ(RequestsAbout(*sg1_, "alice") + RequestsAbout(*sg1_, "carol"), 0);
  // SG itself still works.
  EXPECT_EQ(Register("bob", "SG"), "sg-1");
  Metrics m(router_->MetricsText());
  EXPECT_GE(m.Get("domicile_router_unroutable_total{jurisdiction=\"US\"}"), 6);
  EXPECT_EQ(m.Get("domicile_router_unroutable_total{jurisdiction=\"SG\"}"), 0);
}

TEST_F(RouterTest, MetricsCountWhatHappened) {
  StartRouter();
  Register("alice", "US");
  Register("bob", "SG");
  for (int i = 0; i < 3; ++i) Do("GET", "/v1/subjects/bob/records/k");
  Do("GET", "/v1/policy");  // refused: no jurisdiction
  http::ClientResponse r = Do("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(std::string(r.GetHeader("Content-Type").value_or("")),
              HasSubstr("text/plain; version=0.0.4"));
  Metrics m(r.body);
  EXPECT_EQ(
      m.Get("domicile_router_requests_total{jurisdiction=\"SG\",node=\"sg-1\",status=\"201\"}"), 1);
  EXPECT_EQ(
      m.Get("domicile_router_requests_total{jurisdiction=\"SG\",node=\"sg-1\",status=\"200\"}"), 3);
  EXPECT_EQ(m.Sum("domicile_router_requests_total{jurisdiction=\"US\""), 1);
  EXPECT_EQ(m.Get("domicile_router_in_jurisdiction_ratio{jurisdiction=\"SG\"}"), 1);
  EXPECT_EQ(m.Get("domicile_router_in_jurisdiction_ratio{jurisdiction=\"US\"}"), 1);
  EXPECT_EQ(m.Get("domicile_router_refused_total{status=\"400\"}"), 1);
  EXPECT_EQ(m.Get("domicile_router_failovers_total{jurisdiction=\"US\"}"), 0);
  EXPECT_EQ(m.Get("domicile_router_node_up{node=\"sg-1\",jurisdiction=\"SG\"}"), 1);
  EXPECT_EQ(m.Get("domicile_router_directory_entries{kind=\"subject\"}"), 2);
  EXPECT_TRUE(m.AllTyped());
  EXPECT_EQ(Do("GET", "/healthz").body, "ok\n");
}

TEST_F(RouterTest, TheDirectorySurvivesARestart) {
  StartRouter();
  Register("alice", "US");
  const std::string grant =
      nlohmann::json::parse(Do("POST", "/v1/grants", R"({"scope":"subject:alice"})").body)["id"];
  // The nodes forget (and do not publish) everything: only the router's own copy is left.
  for (FakeNode* n : {us1_.get(), us2_.get(), sg1_.get()}) {
    n->ClearDirectory();
    n->SetLookupsFail(true);
  }
  StartRouter();
  EXPECT_THAT(RoutedTo(Do("GET", "/v1/subjects/alice/records/k")), AnyOf("us-1", "us-2"));
  EXPECT_THAT(RoutedTo(Do("GET", "/v1/grants/" + grant)), AnyOf("us-1", "us-2"));
  EXPECT_EQ(us1_->Lookups() + us2_->Lookups() + sg1_->Lookups(), 0);
}

TEST_F(RouterTest, HealthChecksTakeANodeOutAndBack) {
  StartRouter(Config(std::chrono::milliseconds(20)));
  Register("alice", "US");
  us1_->SetHealthy(false);
  ASSERT_TRUE(WaitFor([&] {
    return Metrics(router_->MetricsText())
               .Get("domicile_router_node_up{node=\"us-1\",jurisdiction=\"US\"}") == 0;
  }));
  const size_t us1_before = us1_->DataRequests().size();
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(RoutedTo(Do("GET", "/v1/subjects/alice/records/k")), "us-2");
  EXPECT_EQ(us1_->DataRequests().size(), us1_before);
  // Back up: its directory is pulled again, with what was registered there meanwhile.
  us1_->AddSubject("dave", "US");
  us1_->SetHealthy(true);
  ASSERT_TRUE(
      WaitFor([&] { return router_->directory().SubjectJurisdiction("dave").has_value(); }));
  ASSERT_TRUE(WaitFor([&] {
    return Metrics(router_->MetricsText())
               .Get("domicile_router_node_up{node=\"us-1\",jurisdiction=\"US\"}") == 1;
  }));
}

TEST_F(RouterTest, BadRequestsGetJsonErrors) {
  StartRouter();
  Register("alice", "US");
  struct Case {
    const char* method;
    const char* target;
    const char* body;
    int status;
    const char* code;
  };
  for (const Case& c : std::vector<Case>{
           {"GET", "/v1/policy", "", 400, "invalid_argument"},
           {"GET", "/nowhere", "", 400, "invalid_argument"},
           {"POST", "/v1/subjects", "{", 400, "invalid_argument"},
           {"POST", "/v1/subjects", R"({"id":"x","jurisdiction":"FR"})", 422,
            "residency_violation"},
           {"POST", "/v1/subjects", R"({"id":"alice","jurisdiction":"SG"})", 409, "conflict"},
           {"GET", "/v1/subjects/a%20b/records", "", 400, "invalid_argument"},
           {"POST", "/v1/grants", R"({"scope":"jurisdiction:FR"})", 404, "not_found"},
           {"POST", "/metrics", "", 405, "method_not_allowed"},
       }) {
    SCOPED_TRACE(fmt::format("{} {} {}", c.method, c.target, c.body));
    http::ClientResponse r = Do(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status);
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["error"]["code"], c.code);
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  }
  EXPECT_THAT(sg1_->DataRequests(), IsEmpty());
}

TEST(RouterStartTest, RefusesBadSettings) {
  ::domicile::testing::TempDir dir;
  RouterConfig c;
  c.listen = "127.0.0.1:0";
  c.data_dir = dir / "r";
  c.nodes = {{"a", "US", "http://127.0.0.1:1"}};
  EXPECT_THAT(Router::Start(c, ""),
              ::domicile::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  c.listen = "nowhere";
  EXPECT_THAT(Router::Start(c, "t"),
              ::domicile::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  c.listen = "127.0.0.1:0";
  // A node that is down is no reason not to start; its requests get 503.
  ASSERT_OK_AND_ASSIGN(auto router, Router::Start(c, "t"));
  ASSERT_OK_AND_ASSIGN(auto client, http::Client::Create(router->url()));
  ASSERT_OK_AND_ASSIGN(auto r, client->Do("GET", "/j/US/v1/policy"));
  EXPECT_EQ(r.status, 503);
  // One router per data directory.
  EXPECT_THAT(Router::Start(c, "t"),
              ::domicile::testing::StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace domicile::router
