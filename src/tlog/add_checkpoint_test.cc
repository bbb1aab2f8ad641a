#include "tlog/add_checkpoint.h"

#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::string_view kText =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const Bytes kWitnessSeed(32, 0x11);

std::string Signed() { return *SignNote(kText, "example.com/behind-the-sofa", Bytes(32, 0x22)); }

CosignerVerifier WitnessVerifier() {
  return *MakeCosignerVerifier("witness.example/w1", *crypto::Ed25519PublicFromSeed(kWitnessSeed));
}

Hash HashOf(uint8_t b) {
  Hash h;
  h.fill(b);
  return h;
}

TEST(AddCheckpointTest, FormatsAndParsesTheSpecsRequestShape) {
  const std::vector<Hash> proof = {HashOf(1), HashOf(2)};
  ASSERT_OK_AND_ASSIGN(std::string body, FormatAddCheckpointRequest(20852014, proof, Signed()));
  EXPECT_EQ(body, "old 20852014\n" + Base64Encode(HashOf(1)) + "\n" + Base64Encode(HashOf(2)) +
                      "\n\n" + Signed());
  ASSERT_OK_AND_ASSIGN(AddCheckpointRequest parsed, ParseAddCheckpointRequest(body));
  EXPECT_EQ(parsed.old_size, 20852014u);
  EXPECT_EQ(parsed.proof, proof);
  EXPECT_EQ(parsed.checkpoint, Signed());

  ASSERT_OK_AND_ASSIGN(std::string empty, FormatAddCheckpointRequest(0, {}, Signed()));
  EXPECT_EQ(empty, "old 0\n\n" + Signed());
  ASSERT_OK_AND_ASSIGN(AddCheckpointRequest zero, ParseAddCheckpointRequest(empty));
  EXPECT_EQ(zero.old_size, 0u);
  EXPECT_TRUE(zero.proof.empty());

  const std::vector<Hash> longest(kMaxWitnessProofLines, HashOf(7));
  ASSERT_OK_AND_ASSIGN(std::string max, FormatAddCheckpointRequest(5, longest, Signed()));
  EXPECT_OK(ParseAddCheckpointRequest(max));
  const std::vector<Hash> too_long(kMaxWitnessProofLines + 1, HashOf(7));
  EXPECT_THAT(FormatAddCheckpointRequest(5, too_long, Signed()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AddCheckpointTest, RefusesEveryMalformedRequest) {
  const std::string h = Base64Encode(HashOf(3));
  std::string sixty_four = "old 1\n";
  for (size_t i = 0; i <= kMaxWitnessProofLines; ++i) sixty_four += h + "\n";
  sixty_four += "\n" + Signed();
  for (const std::string& bad : std::vector<std::string>{
           "",
           "old 1",                                                  // no newline
           "old 1\n",                                                // no empty line
           "old 1\n\n",                                              // no checkpoint
           "new 1\n\n" + Signed(),                                   // not "old"
           "old 01\n\n" + Signed(),                                  // leading zero
           "old -1\n\n" + Signed(),                                  // sign
           "old  1\n\n" + Signed(),                                  // two spaces
           "old 1 \n\n" + Signed(),                                  // trailing space
           "old\n\n" + Signed(),                                     // no size
           "old 18446744073709551616\n\n" + Signed(),                // 2^64
           "old 1\r\n\n" + Signed(),                                 // CR
           "old 1\n" + h.substr(1) + "\n\n" + Signed(),              // bad base64
           "old 1\n" + Base64Encode(Bytes(31)) + "\n\n" + Signed(),  // 31 bytes
           "old 1\n " + h + "\n\n" + Signed(),                       // space
           sixty_four,
       }) {
    EXPECT_THAT(ParseAddCheckpointRequest(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_OK(ParseAddCheckpointRequest("old 18446744073709551615\n\n" + Signed()));
}

TEST(AddCheckpointTest, ConflictBodiesCarryTheSize) {
  const AddCheckpointResponse conflict = WitnessConflictResponse(20852163, "why");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body, "20852163\n");
  EXPECT_EQ(conflict.content_type, "text/x.tlog.size");
  ASSERT_OK_AND_ASSIGN(uint64_t size, ParseTreeSizeBody(conflict.body));
  EXPECT_EQ(size, 20852163u);
  EXPECT_EQ(*ParseTreeSizeBody("0\n"), 0u);
  for (const char* bad : {"", "\n", "12", "012\n", "12\n\n", "x\n", "-1\n", " 1\n"}) {
    EXPECT_THAT(ParseTreeSizeBody(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  const AddCheckpointResponse error = WitnessErrorResponse(422, "fork");
  EXPECT_EQ(error.body, "fork\n");
  EXPECT_EQ(error.content_type, "text/plain; charset=utf-8");
}

TEST(AddCheckpointTest, KeepsOnlyTheWitnesssVerifiedCosignatures) {
  ASSERT_OK_AND_ASSIGN(std::string mine,
                       MakeCosignatureWithSeed(kText, "witness.example/w1", kWitnessSeed, 100));
  ASSERT_OK_AND_ASSIGN(std::string other,
                       MakeCosignatureWithSeed(kText, "witness.example/w2", Bytes(32, 0x55), 100));
  ASSERT_OK_AND_ASSIGN(std::string kept,
                       CosignaturesFromResponse(Signed(), other + mine, WitnessVerifier()));
  EXPECT_EQ(kept, mine);
  ASSERT_OK_AND_ASSIGN(uint64_t when, VerifyCosignature(Signed() + kept, WitnessVerifier()));
  EXPECT_EQ(when, 100u);

  absl::StatusOr<std::string> none = CosignaturesFromResponse(Signed(), other, WitnessVerifier());
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("witness.example/w1"));

  // A cosignature by the witness over another text is refused, even beside a good one.
  ASSERT_OK_AND_ASSIGN(std::string elsewhere,
                       MakeCosignatureWithSeed("other\n", "witness.example/w1", kWitnessSeed, 100));
  EXPECT_THAT(CosignaturesFromResponse(Signed(), mine + elsewhere, WitnessVerifier()),
              StatusIs(absl::StatusCode::kUnauthenticated));

  for (const std::string& bad :
       std::vector<std::string>{"", "\n", "hello\n", mine.substr(0, mine.size() - 1), mine + "\n",
                                "\xE2\x80\x94 witness.example/w1\n", "\xE2\x80\x94 a AAAA\n"}) {
    EXPECT_THAT(CosignaturesFromResponse(Signed(), bad, WitnessVerifier()),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(CosignaturesFromResponse("not a note", mine, WitnessVerifier()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::tlog
