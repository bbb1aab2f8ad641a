#include "access/approval.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::access {
namespace {

using ::domicile::testing::StatusIs;

Grant Example() {
  Grant g;
  g.id = "g-0011223344556677";
  g.requester = "bob";
  g.scope_kind = "subject";
  g.scope_value = "u1";
  g.jurisdiction = "US";
  g.actions = {vault::Action::kRead, vault::Action::kList};
  g.purpose = "support";
  g.expires = 1'700'003'600;
  return g;
}

TEST(Approval, StatementNamesEverythingTheApproverAgreesTo) {
  EXPECT_EQ(ApprovalStatement(Example()),
            "domicile grant approval v1\n"
            "id g-0011223344556677\n"
            "requester bob\n"
            "scope subject:u1\n"
            "class protected\n"
            "actions list,read\n"
            "purpose support\n"
            "expires 2023-11-14T23:13:20Z\n"
            "break-glass no\n");
}

TEST(Approval, KeyFileRoundTripsAndMatchesItsVerifier) {
  ASSERT_OK_AND_ASSIGN(ApproverKey key, GenerateApproverKey("alice"));
  const std::string file = FormatApproverKey(key);
  EXPECT_TRUE(file.starts_with("PRIVATE+KEY+alice+"));
  ASSERT_OK_AND_ASSIGN(ApproverKey back, ParseApproverKey(file));
  EXPECT_EQ(back.name, "alice");
  EXPECT_EQ(tlog::FormatNoteVerifier(back.verifier), tlog::FormatNoteVerifier(key.verifier));
  ASSERT_OK_AND_ASSIGN(tlog::NoteVerifier parsed,
                       tlog::ParseNoteVerifier(tlog::FormatNoteVerifier(key.verifier)));
  EXPECT_EQ(parsed.key_id, key.verifier.key_id);

  std::string wrong_id = file;
  wrong_id[std::string("PRIVATE+KEY+alice+").size()] ^= 1;
  EXPECT_THAT(ParseApproverKey(wrong_id), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseApproverKey("alice+01234567+AAAA"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GenerateApproverKey("a b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Approval, VerifiesOnlyTheApproversSignatureOverThisGrant) {
  ASSERT_OK_AND_ASSIGN(ApproverKey alice, GenerateApproverKey("alice"));
  ASSERT_OK_AND_ASSIGN(ApproverKey mallory, GenerateApproverKey("alice"));  // same name
  const Grant g = Example();
  ASSERT_OK_AND_ASSIGN(std::string note, SignApproval(g, alice));
  EXPECT_OK(VerifyApproval(note, g, alice.verifier));

  // Another key under the same name.
  ASSERT_OK_AND_ASSIGN(std::string forged, SignApproval(g, mallory));
  EXPECT_THAT(VerifyApproval(forged, g, alice.verifier),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // The same approval replayed on another grant, or after the grant changed.
  Grant other = g;
  other.id = "g-8899aabbccddeeff";
  EXPECT_THAT(VerifyApproval(note, other, alice.verifier),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Grant longer = g;
  longer.expires += 3600;
  EXPECT_THAT(VerifyApproval(note, longer, alice.verifier),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A flipped signature byte; garbage.
  std::string flipped = note;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyApproval(flipped, g, alice.verifier).ok());
  EXPECT_THAT(VerifyApproval("not a note", g, alice.verifier),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::access
