#include "http/signals.h"

#include <signal.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "gtest/gtest.h"

namespace domicile::http {
namespace {

TEST(SignalsTest, WaitReturnsTheTerminationSignal) {
  BlockTerminationSignals();  // before any thread, as main() would
  std::future<int> received =
      std::async(std::launch::async, [] { return WaitForTerminationSignal(); });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_EQ(received.get(), SIGTERM);

  received = std::async(std::launch::async, [] { return WaitForTerminationSignal(); });
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  EXPECT_EQ(received.get(), SIGINT);
}

}  // namespace
}  // namespace domicile::http
