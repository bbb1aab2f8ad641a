// A fixture for end-to-end tests: a temporary data directory, the real binary started with the
// example deployment (examples/texas) on port 0, and a helper to call it as a principal.
#pragma once

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "access/approval.h"
#include "access/grant.h"
#include "gtest/gtest.h"
#include "http/client.h"
#include "nlohmann/json.hpp"
#include "node_process.h"
#include "util/temp_dir.h"

namespace domicile::testing {

inline std::string ExampleConfig() { return DOMICILE_SOURCE_DIR "/examples/texas/domicile.toml"; }

// The example configuration's text with its policy file named by absolute path, so that a test
// can write a modified copy anywhere.
std::string ExampleConfigText();

class NodeTest : public ::testing::Test {
 protected:
  // Starts the node (again, on the same data directory, if it ran before).
  void StartNode(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"serve",
                                     "--config",
                                     config_,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--data",
                                     (dir_ / "data").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto node = NodeProcess::Start(args);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
  }

  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartNode()); }

  // Calls the node as the principal whose token is `token` ("" for none).
  http::ClientResponse Call(const std::string& token, const std::string& method,
                            const std::string& target, const std::string& body = "",
                            std::vector<http::Header> headers = {}) {
    auto client = http::Client::Create(node_->url());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
    auto response = (*client)->Do(method, target, headers, body);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::ClientResponse{};
  }

  // The "code" of a JSON error body.
  static std::string ErrorCode(const http::ClientResponse& r);

  // An active grant for the principal of `token`: requested, then approved by the example's
  // approvers alice and carol with their demo keys. "" (and a test failure) if any step fails.
  std::string ActiveGrant(const std::string& token, const std::string& scope,
                          const std::vector<std::string>& actions = {"read"});
  // Approves grant `id` as `approver` (alice or carol) with the demo key; the response.
  http::ClientResponse ApproveAs(const std::string& approver, const std::string& id);
  // Headers naming a grant.
  static std::vector<http::Header> Under(const std::string& grant) {
    return {{"Domicile-Grant", grant}};
  }

  TempDir dir_;
  std::string config_ = ExampleConfig();
  std::unique_ptr<NodeProcess> node_;
};

inline std::string ExampleConfigText() {
  std::ifstream in(ExampleConfig());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string relative = "files = [\"policy.cedar\"]";
  size_t at = text.find(relative);
  if (at != std::string::npos) {
    text.replace(at, relative.size(),
                 "files = [\"" DOMICILE_SOURCE_DIR "/examples/texas/policy.cedar\"]");
  }
  return text;
}

inline http::ClientResponse NodeTest::ApproveAs(const std::string& approver,
                                                const std::string& id) {
  auto shown = Call(approver + "-token", "GET", "/v1/grants/" + id);
  auto grant = access::GrantFromJson(nlohmann::json::parse(shown.body, nullptr, false));
  EXPECT_TRUE(grant.ok()) << shown.body;
  std::ifstream in(DOMICILE_SOURCE_DIR "/examples/texas/keys/" + approver + ".key");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto key = access::ParseApproverKey(text);
  EXPECT_TRUE(key.ok()) << key.status();
  if (!grant.ok() || !key.ok()) return {};
  auto note = access::SignApproval(*grant, *key);
  EXPECT_TRUE(note.ok()) << note.status();
  return Call(approver + "-token", "POST", "/v1/grants/" + id + "/approvals",
              note.ok() ? *note : "");
}

inline std::string NodeTest::ActiveGrant(const std::string& token, const std::string& scope,
                                         const std::vector<std::string>& actions) {
  nlohmann::json body = {{"scope", scope},       {"class", "protected"},   {"actions", actions},
                         {"purpose", "support"}, {"reason", "ticket 123"}, {"ttl", "1h"}};
  auto asked = Call(token, "POST", "/v1/grants", body.dump());
  EXPECT_EQ(asked.status, 201) << asked.body;
  if (asked.status != 201) return "";
  const std::string id = nlohmann::json::parse(asked.body)["id"];
  for (const char* approver : {"alice", "carol"}) {
    auto r = ApproveAs(approver, id);
    EXPECT_EQ(r.status, 200) << approver << ": " << r.body;
  }
  return id;
}

inline std::string NodeTest::ErrorCode(const http::ClientResponse& r) {
  const std::string key = "\"code\":\"";
  size_t at = r.body.find(key);
  if (at == std::string::npos) return "";
  size_t end = r.body.find('"', at + key.size());
  return r.body.substr(at + key.size(), end - at - key.size());
}

}  // namespace domicile::testing
