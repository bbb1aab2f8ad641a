#include "util/page_buffer.h"

#include <cstring>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace domicile {
namespace {

void Append(PageBuffer& b, std::string_view s) {
  std::memcpy(b.Extend(s.size()), s.data(), s.size());
  b.Commit(s.size());
}

TEST(PageBuffer, MapsWholeHugePagesAndAppends) {
  PageBuffer b(100);
  EXPECT_EQ(b.capacity(), size_t{2} << 20);
  EXPECT_EQ(b.size(), 0u);
  Append(b, "abc");
  Append(b, "def");
  EXPECT_EQ(b.view(), "abcdef");
  b.clear();
  EXPECT_EQ(b.view(), "");
  EXPECT_EQ(b.capacity(), size_t{2} << 20);
}

TEST(PageBuffer, GrowsKeepingItsContents) {
  PageBuffer b(16);
  const std::string big(3 << 20, 'x');
  Append(b, "head");
  Append(b, big);
  EXPECT_GE(b.capacity(), big.size() + 4);
  EXPECT_EQ(b.size(), big.size() + 4);
  EXPECT_EQ(b.view().substr(0, 5), "headx");
  EXPECT_EQ(b.view().back(), 'x');
}

TEST(PageBuffer, SwapsAndMoves) {
  PageBuffer a(1), b(1);
  Append(a, "first");
  Append(b, "second");
  a.Swap(b);
  EXPECT_EQ(a.view(), "second");
  EXPECT_EQ(b.view(), "first");
  PageBuffer c(std::move(a));
  EXPECT_EQ(c.view(), "second");
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  b = std::move(c);
  EXPECT_EQ(b.view(), "second");
}

}  // namespace
}  // namespace domicile
