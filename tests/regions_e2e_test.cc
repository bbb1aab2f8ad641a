// The regional deployment of docs/deployment.md, from its own files (examples/regions), as
// separate processes on 127.0.0.x: the router on 127.0.0.1; us-1 (127.0.0.2) and us-2
// (127.0.0.3), which share one PostgreSQL database and the US key custodian; sg-1 (127.0.0.4)
// on a database of its own. US and SG subjects are written through the router; us-1 is killed
// and US traffic moves to us-2, never to sg-1; with both US nodes down US requests get 503 and
// still never reach sg-1; and sg-1's database holds nothing of a US subject.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "fmt/format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "node_process.h"
#include "store/postgres/postgres_testing.h"
#include "util/temp_dir.h"

namespace domicile::testing {
namespace {

constexpr char kExample[] = DOMICILE_SOURCE_DIR "/examples/regions/";
constexpr char kUsWriter[] = "svc-us-token";
constexpr char kSgWriter[] = "svc-sg-token";
constexpr int kUsSubjects = 10;
constexpr int kSgSubjects = 4;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Replaces every occurrence of `from` in `text`; fails the test if there is none.
void Replace(std::string& text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << "the example no longer says: " << from;
  for (; at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Runs psql against `url` and returns what it printed (unaligned, tuples only).
std::string Psql(const std::string& url, const std::string& sql) {
  const std::string command =
      fmt::format("psql -X -q -t -A -v ON_ERROR_STOP=1 -d '{}' -c \"{}\" 2>&1", url, sql);
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run psql";
    return "";
  }
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << command << "\n" << out;
  return out;
}

class RegionsTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Each jurisdiction's node group has a database of its own on the test cluster.
    std::mt19937_64 random{std::random_device{}()};
    const std::string suffix = fmt::format("{:x}", random() & 0xffffffffff);
    for (const char* j : {"us", "sg"}) {
      const std::string db = fmt::format("domicile_{}_{}", j, suffix);
      Psql(url(), "CREATE DATABASE " + db);
      db_url_[j] = url().substr(0, url().rfind('/') + 1) + db;
    }
    ASSERT_NO_FATAL_FAILURE(StartCustodian());
    for (const char* n : {"us-1", "us-2", "sg-1"}) ASSERT_NO_FATAL_FAILURE(StartNode(n));
    ASSERT_NO_FATAL_FAILURE(StartRouter());
  }

  // Writes the example file `name` with the test's addresses, directories and databases.
  std::string Configure(const std::string& name, std::string text) {
    const std::filesystem::path data = dir_.path() / name;
    Replace(text, "regions-data/" + name, data.string());
    if (text.find("[[nodes]]") == std::string::npos && name != "custodian-us") {
      const std::string j = name.substr(0, 2);
      Replace(text, "postgres://domicile@127.0.0.1:5432/domicile_" + j, db_url_[j]);
      Replace(text, "files = [\"policy.cedar\"]",
              "files = [\"" + std::string(kExample) + "policy.cedar\"]");
    }
    const std::string path = (dir_.path() / (name + ".toml")).string();
    std::ofstream(path) << text;
    return path;
  }

  void StartCustodian() {
    std::string text = Read(std::string(kExample) + "custodian-us.toml");
    Replace(text, "listen = \"127.0.0.1:8710\"", "listen = \"127.0.0.1:0\"");
    auto p = NodeProcess::Start({"custodian", "--config", Configure("custodian-us", text)});
    ASSERT_TRUE(p.ok()) << p.status();
    custodian_ = std::move(*p);
  }

  void StartNode(const std::string& name) {
    std::string text = Read(std::string(kExample) + name + ".toml");
    const std::string host = name == "us-1"   ? "127.0.0.2"
                             : name == "us-2" ? "127.0.0.3"
                                              : "127.0.0.4";
    Replace(text, "listen = \"" + host + ":8701\"", "listen = \"" + host + ":0\"");
    if (name != "sg-1") Replace(text, "http://127.0.0.1:8710", custodian_->url());
    auto p = NodeProcess::Start({"serve", "--config", Configure(name, text)},
                                {{"DOMICILE_CUSTODIAN_TOKEN", "us-nodes-custodian-token"}});
    ASSERT_TRUE(p.ok()) << name << ": " << p.status();
    nodes_[name] = std::move(*p);
  }

  void StartRouter() {
    std::string text = Read(std::string(kExample) + "router.toml");
    Replace(text, "listen = \"127.0.0.1:8440\"", "listen = \"127.0.0.1:0\"");
    Replace(text, "http://127.0.0.2:8701", nodes_["us-1"]->url());
    Replace(text, "http://127.0.0.3:8701", nodes_["us-2"]->url());
    Replace(text, "http://127.0.0.4:8701", nodes_["sg-1"]->url());
    auto p = NodeProcess::Start({"route", "--config", Configure("router", text)},
                                {{"DOMICILE_ROUTER_TOKEN", "router-directory-token"}});
    ASSERT_TRUE(p.ok()) << p.status();
    router_ = std::move(*p);
  }

  http::ClientResponse Call(const std::string& base, const std::string& token,
                            const std::string& method, const std::string& target,
                            const std::string& body = "") {
    auto client = http::Client::Create(base);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return {};
    std::vector<http::Header> headers;
    if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
    auto r = (*client)->Do(method, target, headers, body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::ClientResponse{};
  }
  http::ClientResponse ViaRouter(const std::string& token, const std::string& method,
                                 const std::string& target, const std::string& body = "") {
    return Call(router_->url(), token, method, target, body);
  }

  // Who served it: the node's own name (Domicile-Node), which must agree with the router's.
  static std::string ServedBy(const http::ClientResponse& r) {
    const std::string node(r.GetHeader("Domicile-Node").value_or(""));
    EXPECT_EQ(node, r.GetHeader("Domicile-Routed-To").value_or("")) << r.body;
    return node;
  }

  // Every key of every store of a jurisdiction's database, as text.
  std::vector<std::string> Keys(const std::string& j) {
    std::vector<std::string> keys;
    const std::string tables = Psql(db_url_[j],
                                    "SELECT table_name FROM information_schema.tables WHERE "
                                    "table_schema = 'public' AND table_name LIKE 'kv_%'");
    std::istringstream lines(tables);
    for (std::string table; std::getline(lines, table);) {
      if (table.empty()) continue;
      std::istringstream rows(Psql(db_url_[j], "SELECT encode(key, 'escape') FROM " + table));
      for (std::string key; std::getline(rows, key);) keys.push_back(table + ": " + key);
    }
    return keys;
  }

  TempDir dir_;
  std::map<std::string, std::string> db_url_;
  std::unique_ptr<NodeProcess> custodian_, router_;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
};

TEST_F(RegionsTest, EveryRequestStaysInItsJurisdictionAndFailsOverOnlyInsideIt) {
  // Subjects and records of both jurisdictions, all through the router.
  std::map<std::string, int> us_served;
  for (int i = 0; i < kUsSubjects; ++i) {
    const std::string id = fmt::format("u{}", i);
    auto reg = ViaRouter(kUsWriter, "POST", "/v1/subjects",
                         nlohmann::json{{"id", id}, {"jurisdiction", "US"}}.dump());
    ASSERT_EQ(reg.status, 201) << reg.body;
    auto put = ViaRouter(kUsWriter, "PUT", "/v1/subjects/" + id + "/records/email?class=protected",
                         id + "@example.us");
    ASSERT_EQ(put.status, 201) << put.body;
    ++us_served[ServedBy(reg)];
    ++us_served[ServedBy(put)];
  }
  for (int i = 0; i < kSgSubjects; ++i) {
    const std::string id = fmt::format("s{}", i);
    auto reg = ViaRouter(kSgWriter, "POST", "/v1/subjects",
                         nlohmann::json{{"id", id}, {"jurisdiction", "SG"}}.dump());
    ASSERT_EQ(reg.status, 201) << reg.body;
    EXPECT_EQ(ServedBy(reg), "sg-1");
    auto put = ViaRouter(kSgWriter, "PUT", "/v1/subjects/" + id + "/records/email?class=protected",
                         id + "@example.sg");
    ASSERT_EQ(put.status, 201) << put.body;
    EXPECT_EQ(ServedBy(put), "sg-1");
  }
  EXPECT_EQ(us_served.size(), 2u) << "both US nodes served";
  EXPECT_GT(us_served["us-1"], 0);
  EXPECT_GT(us_served["us-2"], 0);
  EXPECT_EQ(us_served.count("sg-1"), 0u);

  // The two US nodes share one store and one custodian: each reads what the other wrote, and a
  // rewrite through either one continues the same record.
  for (int i = 0; i < kUsSubjects; ++i) {
    const std::string id = fmt::format("u{}", i);
    auto get = ViaRouter(kUsWriter, "GET", "/v1/subjects/" + id + "/records/email");
    ASSERT_EQ(get.status, 200) << get.body;
    EXPECT_EQ(get.body, id + "@example.us");
  }
  auto again =
      ViaRouter(kUsWriter, "PUT", "/v1/subjects/u0/records/email?class=protected", "u0@example.us");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(nlohmann::json::parse(again.body, nullptr, false).value("version", 0), 2);

  // A US writer cannot reach SG data through the router, nor the SG writer US data.
  EXPECT_EQ(ViaRouter(kUsWriter, "GET", "/v1/subjects/s0/records/email").status, 401)
      << "sg-1 does not know the US writer";
  EXPECT_EQ(ViaRouter(kSgWriter, "GET", "/v1/subjects/u0/records/email").status, 401);

  // An auditor verifies each node's own log through the router, from its public key alone.
  for (const char* node : {"us-1", "us-2", "sg-1"}) {
    auto key = ViaRouter("", "GET", fmt::format("/n/{}/v1/log/key", node));
    ASSERT_EQ(key.status, 200) << key.body;
    CommandResult verified = RunCommand(
        {"audit", "verify", "--url", fmt::format("{}/n/{}/log", router_->url(), node), "--key",
         key.body, "--state", (dir_.path() / fmt::format("audit-{}", node)).string()});
    EXPECT_EQ(verified.exit_code, 0) << node << ": " << verified.out << verified.err;
  }

  // us-1 dies: US traffic moves to us-2, and only there.
  nodes_["us-1"]->Kill();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kUsSubjects; ++i) {
      const std::string id = fmt::format("u{}", i);
      auto get = ViaRouter(kUsWriter, "GET", "/v1/subjects/" + id + "/records/email");
      ASSERT_EQ(get.status, 200) << get.body;
      EXPECT_EQ(ServedBy(get), "us-2");
    }
  }
  auto put = ViaRouter(kUsWriter, "PUT", "/v1/subjects/u1/records/phone?class=protected", "555");
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(ServedBy(put), "us-2");
  auto sg = ViaRouter(kSgWriter, "GET", "/v1/subjects/s1/records/email");
  ASSERT_EQ(sg.status, 200) << sg.body;
  EXPECT_EQ(ServedBy(sg), "sg-1");

  // Both US nodes down: US requests are refused, not sent abroad.
  nodes_["us-2"]->Kill();
  for (int i = 0; i < kUsSubjects; ++i) {
    auto get = ViaRouter(kUsWriter, "GET", fmt::format("/v1/subjects/u{}/records/email", i));
    EXPECT_EQ(get.status, 503) << get.body;
    EXPECT_FALSE(get.GetHeader("Domicile-Node").has_value());
    EXPECT_NE(get.body.find("US"), std::string::npos) << get.body;
  }
  EXPECT_EQ(
      ViaRouter(kUsWriter, "POST", "/v1/subjects", R"({"id":"u99","jurisdiction":"US"})").status,
      503);
  EXPECT_EQ(ViaRouter(kSgWriter, "GET", "/v1/subjects/s2/records/email").status, 200);

  // The counts, from both sides: sg-1 never answered a request about a US subject, and the
  // router served each jurisdiction only from its own nodes.
  const std::string sg_metrics = Call(nodes_["sg-1"]->url(), "", "GET", "/metrics").body;
  EXPECT_EQ(sg_metrics.find("jurisdiction=\"US\""), std::string::npos) << sg_metrics;
  EXPECT_NE(
      sg_metrics.find("domicile_node_in_jurisdiction_ratio{node=\"sg-1\",jurisdiction=\"SG\"} 1"),
      std::string::npos)
      << sg_metrics;
  const std::string metrics = ViaRouter("", "GET", "/metrics").body;
  EXPECT_NE(metrics.find("domicile_router_in_jurisdiction_ratio{jurisdiction=\"US\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("domicile_router_in_jurisdiction_ratio{jurisdiction=\"SG\"} 1"),
            std::string::npos)
      << metrics;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("domicile_router_requests_total", 0) != 0) continue;
    const bool us = line.find("jurisdiction=\"US\"") != std::string::npos;
    const bool at_sg = line.find("node=\"sg-1\"") != std::string::npos;
    EXPECT_FALSE(us && at_sg) << line;
  }
  EXPECT_NE(metrics.find("domicile_router_unroutable_total{jurisdiction=\"US\"}"),
            std::string::npos)
      << metrics;

  // Each node's log is read through the router, per node.
  EXPECT_EQ(ViaRouter("", "GET", "/n/sg-1/log/checkpoint").status, 200);

  // sg-1's storage holds nothing of a US subject; the US database holds them all (so the
  // query looks where the data is).
  const std::regex us_subject("(^|[/: ])u[0-9]+(/|$)");
  std::vector<std::string> sg_keys = Keys("sg"), us_keys = Keys("us");
  ASSERT_FALSE(sg_keys.empty());
  for (const std::string& key : sg_keys) EXPECT_FALSE(std::regex_search(key, us_subject)) << key;
  std::set<std::string> us_records;
  for (const std::string& key : us_keys) {
    std::smatch m;
    static const std::regex record("kv_site_us_east[_0-9a-f]*: r/(u[0-9]+)/email");
    if (std::regex_search(key, m, record)) us_records.insert(m[1]);
  }
  EXPECT_EQ(us_records.size(), static_cast<size_t>(kUsSubjects));
  const std::string sg_site = Psql(db_url_["sg"],
                                   "SELECT table_name FROM information_schema.tables WHERE "
                                   "table_name LIKE 'kv_site_sg_central%'");
  ASSERT_FALSE(sg_site.empty());
  EXPECT_EQ(
      Psql(db_url_["sg"], "SELECT count(*) FROM " + sg_site.substr(0, sg_site.find('\n')) +
                              " WHERE position(convert_to('example.us', 'UTF8') IN value) > 0"),
      "0\n");
}

}  // namespace
}  // namespace domicile::testing
