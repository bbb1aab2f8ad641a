// A fixture for end-to-end tests: a temporary data directory, the real binary started with the
// example deployment (examples/texas) on port 0, and a helper to call it as a principal.
#pragma once

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "http/client.h"
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

inline std::string NodeTest::ErrorCode(const http::ClientResponse& r) {
  const std::string key = "\"code\":\"";
  size_t at = r.body.find(key);
  if (at == std::string::npos) return "";
  size_t end = r.body.find('"', at + key.size());
  return r.body.substr(at + key.size(), end - at - key.size());
}

}  // namespace domicile::testing
