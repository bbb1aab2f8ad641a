// The HTTP log source against an http::Server (port 0) that serves a log directory under /log,
// as a domicile node does; the verifier runs through it exactly as through a directory.
#include "audit/http_log_source.h"

#include "audit/directory_log_source.h"
#include "audit/log_verifier.h"
#include "audit/test_util.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/server.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::audit {
namespace {

using ::domicile::audit::testing::CopyWritable;
using ::domicile::audit::testing::FlipByte;
using ::domicile::audit::testing::ReadOrFail;
using ::domicile::audit::testing::WriteOrFail;
using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kVkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

TEST(ParseLogUrl, TakesThePathAsPrefixAndDefaultsToTheNodeLog) {
  ASSERT_OK_AND_ASSIGN(LogUrl a, ParseLogUrl("http://127.0.0.1:8700/log"));
  EXPECT_EQ(a.base, "http://127.0.0.1:8700");
  EXPECT_EQ(a.prefix, "/log");
  ASSERT_OK_AND_ASSIGN(LogUrl b, ParseLogUrl("https://example.com/tevere/"));
  EXPECT_EQ(b.base, "https://example.com");
  EXPECT_EQ(b.prefix, "/tevere");
  ASSERT_OK_AND_ASSIGN(LogUrl c, ParseLogUrl("http://127.0.0.1:8700"));
  EXPECT_EQ(c.prefix, "/log");
  ASSERT_OK_AND_ASSIGN(LogUrl d, ParseLogUrl("http://127.0.0.1:8700/"));
  EXPECT_EQ(d.prefix, "/log");
  EXPECT_THAT(ParseLogUrl("ftp://x/log"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseLogUrl("127.0.0.1:8700"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseLogUrl("http://h/log?x=1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

class HttpLogSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = dir_ / "log";
    CopyWritable(DOMICILE_TESSERA_LOG_DIR, log_);
    ASSERT_OK_AND_ASSIGN(key_, tlog::ParseNoteVerifier(kVkey));
    http::ServerOptions options;
    options.threads = 1;
    auto server = http::Server::Start(
        options, http::MakeAsync([this](const http::Request& request) -> http::Response {
          ++requests_;
          if (fail_) return http::Response{500, "text/plain", {}, "broken"};
          if (request.method != "GET" || !request.path.starts_with("/log/")) {
            return http::Response{404, "text/plain", {}, "not found"};
          }
          DirectoryLogSource files(log_);
          absl::StatusOr<std::string> data = files.Fetch(request.path.substr(5));
          if (!data.ok()) return http::Response{404, "text/plain", {}, "not found"};
          return http::Response{200, "application/octet-stream", {}, std::move(*data)};
        }));
    ASSERT_OK(server);
    server_ = std::move(*server);
    url_ = fmt::format("http://127.0.0.1:{}", server_->port());
  }

  absl::StatusOr<VerifyResult> Verify(const std::string& url,
                                      const std::filesystem::path& state = {}) {
    ASSIGN_OR_RETURN(std::unique_ptr<HttpLogSource> source, HttpLogSource::Create(url));
    return VerifyLog(*source, key_, state);
  }

  domicile::testing::TempDir dir_;
  std::filesystem::path log_;
  tlog::NoteVerifier key_;
  std::atomic<int> requests_{0};
  std::atomic<bool> fail_{false};
  std::unique_ptr<http::Server> server_;
  std::string url_;
};

TEST_F(HttpLogSourceTest, VerifiesEveryCheckpointThroughHttpWithAState) {
  const std::filesystem::path state = dir_ / "state";
  for (uint64_t n = 0; n <= 15; ++n) {
    WriteOrFail(log_ / "checkpoint", ReadOrFail(log_ / fmt::format("checkpoint.{}", n)));
    absl::StatusOr<VerifyResult> r = Verify(url_ + "/log", state);
    ASSERT_OK(r) << n;
    EXPECT_EQ(r->checkpoint.size, n);
  }
  // A node URL without a path reads the node's /log.
  ASSERT_OK_AND_ASSIGN(VerifyResult scratch, Verify(url_));
  EXPECT_EQ(scratch.entries_verified, 15u);
  EXPECT_GT(requests_.load(), 16);
}

TEST_F(HttpLogSourceTest, MissingAndFailingResourcesAreTold) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpLogSource> source, HttpLogSource::Create(url_ + "/log"));
  EXPECT_OK(source->Fetch("checkpoint"));
  EXPECT_THAT(source->Fetch("tile/0/000.p/16"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(source->Fetch("../secret"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(source->Describe("checkpoint"), url_ + "/log/checkpoint");

  std::filesystem::remove(log_ / "tile/0/000.p/15");
  absl::StatusOr<VerifyResult> missing = Verify(url_ + "/log");
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("missing tile/0/000.p/15"));

  fail_ = true;
  absl::StatusOr<VerifyResult> broken = Verify(url_ + "/log");
  EXPECT_THAT(broken, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(broken.status().message()), HasSubstr("HTTP 500"));
  server_->Stop();
  EXPECT_THAT(Verify(url_ + "/log"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(HttpLogSourceTest, TamperingIsCaughtThroughHttp) {
  FlipByte(log_ / "tile/entries/000.p/15", 3);
  absl::StatusOr<VerifyResult> r = Verify(url_ + "/log");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("entry 0 does not match tile/0/000.p/15"));
}

}  // namespace
}  // namespace domicile::audit
