#include "tlog/note.h"

#include <string>

#include "crypto/ed25519.h"
#include "gtest/gtest.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;

// The example from the C2SP signed-note specification.
constexpr std::string_view kSpecVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr std::string_view kSpecNote =
    "This is an example message.\n\n"
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";

NoteVerifier SpecVerifier() { return *ParseNoteVerifier(kSpecVkey); }

TEST(NoteTest, ParsesSpecVerifierKey) {
  ASSERT_OK_AND_ASSIGN(NoteVerifier v, ParseNoteVerifier(kSpecVkey));
  EXPECT_EQ(v.name, "example.com/foo");
  EXPECT_EQ(v.key_id, 0x530d903au);
  EXPECT_EQ(NoteKeyId(v.name, v.public_key), 0x530d903au);
  EXPECT_EQ(FormatNoteVerifier(v), kSpecVkey);
}

TEST(NoteTest, RejectsMalformedVerifierKeys) {
  for (const char* bad : {
           "",
           "example.com/foo",
           "example.com/foo+530d903a",
           "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  // wrong id
           "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  // wrong name
           "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  // upper hex
           "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
           "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  // type 0x02
           "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
           "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+x",
           "example.com/foo+530d903a++AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
           "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
           "example.com foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
       }) {
    EXPECT_THAT(ParseNoteVerifier(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(NoteTest, OpensSpecExample) {
  ASSERT_OK_AND_ASSIGN(std::string text, OpenNote(kSpecNote, SpecVerifier()));
  EXPECT_EQ(text, "This is an example message.\n");
}

TEST(NoteTest, TextMaySpanBlankLinesAndUnknownSignaturesAreIgnored) {
  const Bytes seed(32, 0x42);
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote("a\n\nb\n", "example.com/k", seed));
  // An extra signature from an unknown key, and one with our name but another key ID.
  note += "\xE2\x80\x94 other.example/x AAAAAQID\n";
  note += "\xE2\x80\x94 example.com/k AAAAAQID\n";
  ASSERT_OK_AND_ASSIGN(Note parsed, ParseNote(note));
  EXPECT_EQ(parsed.text, "a\n\nb\n");
  ASSERT_EQ(parsed.signatures.size(), 3u);
  EXPECT_EQ(parsed.signatures[1].key_id, 1u);

  ASSERT_OK_AND_ASSIGN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(seed));
  NoteVerifier v{"example.com/k", NoteKeyId("example.com/k", pub), pub};
  ASSERT_OK_AND_ASSIGN(std::string text, OpenNote(note, v));
  EXPECT_EQ(text, "a\n\nb\n");
  ASSERT_OK_AND_ASSIGN(NoteVerifier round, ParseNoteVerifier(FormatNoteVerifier(v)));
  EXPECT_EQ(round.public_key, pub);
}

TEST(NoteTest, RejectsBadOrMissingSignatures) {
  const NoteVerifier v = SpecVerifier();
  std::string tampered(kSpecNote);
  tampered[0] = 't';
  EXPECT_THAT(OpenNote(tampered, v), StatusIs(absl::StatusCode::kUnauthenticated));

  // Flip one byte of the signature itself (after the key ID), keeping valid base64.
  const size_t sig_at = std::string_view(kSpecNote).rfind(' ') + 1;
  std::string line(kSpecNote.substr(sig_at, kSpecNote.size() - sig_at - 1));
  Bytes raw = *Base64Decode(line);
  raw[10] ^= 0x01;
  std::string flipped = std::string(kSpecNote.substr(0, sig_at)) + Base64Encode(raw) + "\n";
  EXPECT_THAT(OpenNote(flipped, v), StatusIs(absl::StatusCode::kUnauthenticated));

  // A known key's failing signature rejects the note even beside a valid one.
  std::string both = std::string(kSpecNote) + flipped.substr(flipped.find("\xE2\x80\x94"));
  EXPECT_THAT(OpenNote(both, v), StatusIs(absl::StatusCode::kUnauthenticated));

  NoteVerifier other = v;
  other.name = "example.com/bar";
  other.key_id = NoteKeyId(other.name, other.public_key);
  EXPECT_THAT(OpenNote(kSpecNote, other), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(NoteTest, RejectsMalformedNotes) {
  const std::string sig =
      "\xE2\x80\x94 example.com/foo "
      "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM"
      "=";
  for (const std::string& bad : std::vector<std::string>{
           std::string("This is an example message.\n") + sig + "\n",      // no blank line
           std::string("This is an example message.\n\n") + sig,           // no final newline
           std::string("This is an example message.\n\n"),                 // no signatures
           std::string("This is an example message.\n\n") + sig + "\n\n",  // blank after sigs
           std::string("This is an example\tmessage.\n\n") + sig + "\n",   // control char
           std::string("This is an example message.\r\n\n") + sig + "\n",  // CR
           std::string("This is an \xff message.\n\n") + sig + "\n",       // invalid UTF-8
           std::string("This is an example message.\n\n- example.com/foo AAAAAQ==\n"),
           std::string("This is an example message.\n\n\xE2\x80\x94 example.com/foo\n"),
           std::string("This is an example message.\n\n\xE2\x80\x94  AAAAAQ==\n"),
           std::string("This is an example message.\n\n\xE2\x80\x94 a+b AAAAAQ==\n"),
           std::string("This is an example message.\n\n\xE2\x80\x94 a AAAA\n"),  // 3 bytes
           std::string("This is an example message.\n\n\xE2\x80\x94 a AAAAAQ=\n"),
           std::string("This is an example message.\n\n\xE2\x80\x94 a AAAAAQ== \n"),
       }) {
    EXPECT_THAT(ParseNote(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(OpenNote(bad, SpecVerifier()), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(NoteTest, LimitsSignatureCount) {
  std::string note(kSpecNote);
  for (size_t i = 1; i < kMaxNoteSignatures; ++i) note += "\xE2\x80\x94 a AAAAAQI=\n";
  EXPECT_OK(OpenNote(note, SpecVerifier()));
  note += "\xE2\x80\x94 a AAAAAQI=\n";
  EXPECT_THAT(ParseNote(note), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::tlog
