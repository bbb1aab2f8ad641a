#include "http/load_generator.h"

#include <fmt/format.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/server.h"
#include "http/status_mapping.h"
#include "util/status_matchers.h"

namespace domicile::http {
namespace {

using ::domicile::testing::StatusIs;

std::unique_ptr<Server> StartTestServer() {
  ServerOptions options;
  options.threads = 2;
  auto server = Server::Start(options, MakeAsync([](const Request& r) {
                                if (r.path == "/missing") {
                                  return ErrorResponse(absl::NotFoundError("no such thing"));
                                }
                                return JsonResponse(200, {{"ok", true}});
                              }));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(LoadGeneratorTest, ReportsRequestsAndPercentiles) {
  auto server = StartTestServer();
  ASSERT_NE(server, nullptr);
  LoadOptions options;
  options.url = fmt::format("http://127.0.0.1:{}", server->port());
  options.connections = 4;
  options.duration = std::chrono::milliseconds(300);
  options.warmup = std::chrono::milliseconds(50);
  options.targets = {"/a", "/b"};
  ASSERT_OK_AND_ASSIGN(LoadReport report, RunLoad(options));
  EXPECT_GT(report.requests, 0u);
  EXPECT_EQ(report.errors, 0u);
  EXPECT_LE(report.p50_us, report.p90_us);
  EXPECT_LE(report.p90_us, report.p99_us);
  EXPECT_LE(report.p99_us, report.max_us);
  EXPECT_GT(report.requests_per_second, 0);
  EXPECT_EQ(report.status_counts[200], report.requests);
}

TEST(LoadGeneratorTest, CountsNon2xxAsErrors) {
  auto server = StartTestServer();
  ASSERT_NE(server, nullptr);
  LoadOptions options;
  options.url = fmt::format("http://127.0.0.1:{}", server->port());
  options.connections = 2;
  options.threads = 2;
  options.duration = std::chrono::milliseconds(200);
  options.warmup = std::chrono::milliseconds(0);
  options.method = "POST";
  options.body = R"({"x":1})";
  options.targets = {"/missing"};
  ASSERT_OK_AND_ASSIGN(LoadReport report, RunLoad(options));
  EXPECT_GT(report.requests, 0u);
  EXPECT_EQ(report.errors, report.requests);
  EXPECT_EQ(report.status_counts[404], report.requests);
}

TEST(LoadGeneratorTest, RejectsBadOptions) {
  LoadOptions options;
  options.url = "https://127.0.0.1:1";
  EXPECT_THAT(RunLoad(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.url = "http://127.0.0.1:1";
  options.connections = 0;
  EXPECT_THAT(RunLoad(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.connections = 1;
  options.targets = {"no-slash"};
  EXPECT_THAT(RunLoad(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadGeneratorTest, UnreachableServerIsUnavailable) {
  uint16_t port;
  {
    auto server = StartTestServer();
    ASSERT_NE(server, nullptr);
    port = server->port();
  }
  LoadOptions options;
  options.url = fmt::format("http://127.0.0.1:{}", port);
  EXPECT_THAT(RunLoad(options), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace domicile::http
