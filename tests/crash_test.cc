// kill -9 during writes loses no acknowledged write and leaves no half-written record.
#include <atomic>
#include <map>
#include <thread>

#include "e2e_fixture.h"
#include "gmock/gmock.h"

namespace domicile::testing {
namespace {

class CrashTest : public NodeTest {};

TEST_F(CrashTest, KillNineLosesNoAcknowledgedWrite) {
  constexpr int kWriters = 4;
  for (int w = 0; w < kWriters; ++w) {
    std::string body = R"({"id":"w)" + std::to_string(w) + R"(","jurisdiction":"US"})";
    ASSERT_EQ(Call("svc-app-token", "POST", "/v1/subjects", body).status, 201);
  }
  // Each writer overwrites its own record with "w<w>-v<n>"; the node says which version it
  // stored. Remember the last acknowledged version per writer.
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged_total{0};
  std::vector<int> acknowledged(kWriters, 0);
  std::vector<std::thread> writers;
  const std::string url = node_->url();
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = http::Client::Create(url);
      if (!client.ok()) return;
      std::vector<http::Header> auth = {{"Authorization", "Bearer svc-app-token"}};
      for (int n = 1; !stop; ++n) {
        std::string target = "/v1/subjects/w" + std::to_string(w) + "/records/r?class=protected";
        auto r =
            (*client)->Do("PUT", target, auth, "w" + std::to_string(w) + "-v" + std::to_string(n));
        if (!r.ok() || (r->status != 200 && r->status != 201)) return;  // the node died
        // Versions are sequential per record: version n holds value n.
        if (r->body.find("\"version\":" + std::to_string(n)) == std::string::npos) return;
        acknowledged[w] = n;
        ++acknowledged_total;
      }
    });
  }
  while (acknowledged_total < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  node_->Kill();
  stop = true;
  for (auto& t : writers) t.join();

  StartNode();
  for (int w = 0; w < kWriters; ++w) {
    auto r = Call("svc-app-token", "GET", "/v1/subjects/w" + std::to_string(w) + "/records/r");
    ASSERT_EQ(r.status, 200) << "record of writer " << w << " unreadable: " << r.body;
    int version = std::stoi(std::string(r.GetHeader("Domicile-Version").value_or("0")));
    // The acknowledged write survived; at most the one in flight went further.
    EXPECT_GE(version, acknowledged[w]);
    EXPECT_LE(version, acknowledged[w] + 1);
    EXPECT_EQ(r.body, "w" + std::to_string(w) + "-v" + std::to_string(version));
  }
}

}  // namespace
}  // namespace domicile::testing
