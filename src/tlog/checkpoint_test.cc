#include "tlog/checkpoint.h"

#include "crypto/ed25519.h"
#include "gtest/gtest.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;

TEST(CheckpointTest, ParsesSpecExample) {
  ASSERT_OK_AND_ASSIGN(Checkpoint cp,
                       ParseCheckpoint("example.com/behind-the-sofa\n20852163\n"
                                       "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"));
  EXPECT_EQ(cp.origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp.size, 20852163u);
  EXPECT_EQ(Base64Encode(cp.root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_TRUE(cp.extensions.empty());
  EXPECT_EQ(
      FormatCheckpoint(cp),
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
}

TEST(CheckpointTest, ParsesExtensionsAndLimits) {
  const std::string root = Base64Encode(EmptyRoot());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, ParseCheckpoint("o\n0\n" + root + "\next 1\nx\n"));
  EXPECT_EQ(cp.size, 0u);
  EXPECT_EQ(cp.extensions, (std::vector<std::string>{"ext 1", "x"}));
  EXPECT_EQ(FormatCheckpoint(cp), "o\n0\n" + root + "\next 1\nx\n");
  ASSERT_OK_AND_ASSIGN(cp, ParseCheckpoint("o\n18446744073709551615\n" + root + "\n"));
  EXPECT_EQ(cp.size, UINT64_MAX);
}

TEST(CheckpointTest, RejectsMalformed) {
  const std::string root = Base64Encode(EmptyRoot());
  for (const std::string& bad : std::vector<std::string>{
           std::string(""),
           "o\n0\n" + root,
           "o\n0\n",
           "\n0\n" + root + "\n",
           "o\n\n" + root + "\n",
           "o\n00\n" + root + "\n",
           "o\n01\n" + root + "\n",
           "o\n-1\n" + root + "\n",
           "o\n+1\n" + root + "\n",
           "o\n1 \n" + root + "\n",
           "o\n18446744073709551616\n" + root + "\n",
           "o\n0x1\n" + root + "\n",
           "o\n1\n" + root.substr(0, 43) + "\n",
           "o\n1\n" + root + "=\n",
           "o\n1\nAAAA\n",
           "o\n1\n" + root + "\n\n",
           "o\n1\n" + root + "\n\next\n",
           "o\n1\n" + root + "\next",
           "o\n1\n " + root + "\n",
       }) {
    EXPECT_THAT(ParseCheckpoint(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(CheckpointTest, OpenRequiresOriginToMatchKeyName) {
  const Bytes seed(32, 0x17);
  ASSERT_OK_AND_ASSIGN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(seed));
  NoteVerifier v{"log.example/a", NoteKeyId("log.example/a", pub), pub};
  Checkpoint cp{"log.example/a", 3, LeafHash(AsBytes("x")), {}};
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(FormatCheckpoint(cp), v.name, seed));
  ASSERT_OK_AND_ASSIGN(Checkpoint opened, OpenCheckpoint(note, v));
  EXPECT_EQ(opened, cp);

  cp.origin = "log.example/b";
  ASSERT_OK_AND_ASSIGN(note, SignNote(FormatCheckpoint(cp), v.name, seed));
  EXPECT_THAT(OpenCheckpoint(note, v), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace domicile::tlog
