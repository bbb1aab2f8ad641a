#include "tlog/cosignature.h"

#include <string>

#include "crypto/ed25519.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/checkpoint.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::string_view kLogName = "example.com/behind-the-sofa";
constexpr std::string_view kWitnessName = "witness.example.com/w1";
constexpr std::string_view kText =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr uint64_t kTime = 1679315147;

// Computed independently (Python's `cryptography` package) for the seed 0x11 * 32, kWitnessName,
// kText and kTime.
constexpr std::string_view kWitnessVkey =
    "witness.example.com/w1+71cfacb3+BNBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3";
constexpr std::string_view kWitnessLine =
    "\xE2\x80\x94 witness.example.com/w1 "
    "cc+sswAAAABkGFDLzuX9TsYiZpxj+zNowkX/"
    "+9daSXTL3TPayzPaud3NNbKrTFNhiImoOcMEtN1GvBu0ZTr2FUU5saFGtDn"
    "aKP9sBg==\n";

const Bytes kWitnessSeed(32, 0x11);
const Bytes kLogSeed(32, 0x22);

// kText signed by the log.
std::string LogSigned() { return *SignNote(kText, kLogName, kLogSeed); }

NoteVerifier LogVerifier() {
  crypto::Ed25519PublicKey pub = *crypto::Ed25519PublicFromSeed(kLogSeed);
  return NoteVerifier{std::string(kLogName), NoteKeyId(kLogName, pub), pub};
}

CosignerVerifier Witness() { return *ParseCosignerVerifier(kWitnessVkey); }

TEST(CosignatureTest, ParsesAndFormatsCosignerKeys) {
  ASSERT_OK_AND_ASSIGN(CosignerVerifier w, ParseCosignerVerifier(kWitnessVkey));
  EXPECT_EQ(w.name, kWitnessName);
  EXPECT_EQ(w.key_id, 0x71cfacb3u);
  EXPECT_EQ(w.public_key, *crypto::Ed25519PublicFromSeed(kWitnessSeed));
  EXPECT_EQ(FormatCosignerVerifier(w), kWitnessVkey);
  ASSERT_OK_AND_ASSIGN(CosignerVerifier made, MakeCosignerVerifier(kWitnessName, w.public_key));
  EXPECT_EQ(made.key_id, w.key_id);

  // A witness key published by a public witness.
  constexpr std::string_view kRemora =
      "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
  ASSERT_OK_AND_ASSIGN(CosignerVerifier remora, ParseCosignerVerifier(kRemora));
  EXPECT_EQ(remora.key_id, 0xda77ade7u);
  EXPECT_EQ(FormatCosignerVerifier(remora), kRemora);
}

TEST(CosignatureTest, RefusesLogKeysAndMalformedCosignerKeys) {
  // A log key (type 0x01) is not a witness key, and says so.
  absl::StatusOr<CosignerVerifier> log_key = ParseCosignerVerifier(
      "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  EXPECT_THAT(log_key, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(log_key.status().message()), HasSubstr("log key"));
  for (const char* bad : {
           "",
           "witness.example.com/w1+71cfacb3",
           "witness.example.com/w1+71cfacb4+BNBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3",  // id
           "witness.example.com/w2+71cfacb3+BNBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3",  // name
           "witness.example.com/w1+71CFACB3+BNBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3",
           "witness.example.com/w1+71cfacb3+BtBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3",  // 0x06
           "witness.example.com/w1+71cfacb3+BNBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c",
           "witness.example.com/w1+71cfacb3+BNBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3AA==",
           "witness example+71cfacb3+BNBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3",
       }) {
    EXPECT_THAT(ParseCosignerVerifier(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(MakeCosignerVerifier("a b", Bytes(32)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeCosignerVerifier("a", Bytes(31)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CosignatureTest, SignedMessageIsHeaderTimeAndNoteText) {
  EXPECT_EQ(CosignatureMessage(kText, kTime),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  EXPECT_EQ(CosignatureMessage("a\n", 0), "cosignature/v1\ntime 0\na\n");
}

TEST(CosignatureTest, MatchesAnIndependentImplementation) {
  ASSERT_OK_AND_ASSIGN(std::string line,
                       MakeCosignatureWithSeed(kText, kWitnessName, kWitnessSeed, kTime));
  EXPECT_EQ(line, kWitnessLine);
  const std::string cosigned = LogSigned() + line;
  ASSERT_OK_AND_ASSIGN(uint64_t when, VerifyCosignature(cosigned, Witness()));
  EXPECT_EQ(when, kTime);
  // Through a sign function, as with a key provider: the same line.
  const crypto::Ed25519PublicKey pub = Witness().public_key;
  ASSERT_OK_AND_ASSIGN(std::string via_fn,
                       MakeCosignature(kText, kWitnessName, pub, kTime,
                                       [](ByteView message) -> absl::StatusOr<Bytes> {
                                         auto sig = crypto::Ed25519Sign(kWitnessSeed, message);
                                         if (!sig.ok()) return sig.status();
                                         return Bytes(sig->begin(), sig->end());
                                       }));
  EXPECT_EQ(via_fn, kWitnessLine);
}

TEST(CosignatureTest, NoteReadersIgnoreCosignaturesOfUnknownKeys) {
  ASSERT_OK_AND_ASSIGN(std::string other,
                       MakeCosignatureWithSeed(kText, "other.example/w9", Bytes(32, 0x33), kTime));
  const std::string cosigned = LogSigned() + std::string(kWitnessLine) + other;
  ASSERT_OK_AND_ASSIGN(Note note, ParseNote(cosigned));
  EXPECT_EQ(note.text, kText);
  ASSERT_EQ(note.signatures.size(), 3u);
  EXPECT_EQ(note.signatures[1].signature.size(), 72u);
  ASSERT_OK_AND_ASSIGN(std::string text, OpenNote(cosigned, LogVerifier()));
  EXPECT_EQ(text, kText);
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(cosigned, LogVerifier()));
  EXPECT_EQ(cp.size, 20852163u);
  ASSERT_OK_AND_ASSIGN(uint64_t when, VerifyCosignature(cosigned, Witness()));
  EXPECT_EQ(when, kTime);

  // A cosignature by the log's own key and name is not a log signature (another key ID).
  ASSERT_OK_AND_ASSIGN(std::string own, MakeCosignatureWithSeed(kText, kLogName, kLogSeed, kTime));
  const std::string only_cosigned = std::string(kText) + "\n" + own;
  EXPECT_THAT(OpenNote(only_cosigned, LogVerifier()), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(OpenNote(LogSigned() + own, LogVerifier()));
}

TEST(CosignatureTest, MissingOrBadCosignaturesAreRefusedNamingTheWitness) {
  absl::StatusOr<uint64_t> missing = VerifyCosignature(LogSigned(), Witness());
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("no cosignature by witness witness.example.com/w1+71cfacb3"));

  // Same name, another key: ignored, so still missing.
  ASSERT_OK_AND_ASSIGN(std::string impostor,
                       MakeCosignatureWithSeed(kText, kWitnessName, Bytes(32, 0x44), kTime));
  EXPECT_THAT(VerifyCosignature(LogSigned() + impostor, Witness()),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // The cosignature of another checkpoint does not verify on this one.
  std::string other_text(kText);
  other_text[other_text.find("20852163")] = '3';
  ASSERT_OK_AND_ASSIGN(std::string moved,
                       MakeCosignatureWithSeed(other_text, kWitnessName, kWitnessSeed, kTime));
  absl::StatusOr<uint64_t> bad = VerifyCosignature(LogSigned() + moved, Witness());
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("cosignature by witness witness.example.com/w1+71cfacb3 does not verify"));
  // ...and a bad one beside a good one still fails.
  EXPECT_THAT(VerifyCosignature(LogSigned() + std::string(kWitnessLine) + moved, Witness()),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // Tampering with the timestamp, the length, or the signature.
  const size_t at = kWitnessLine.rfind(' ') + 1;
  const Bytes raw = *Base64Decode(kWitnessLine.substr(at, kWitnessLine.size() - at - 1));
  auto with_raw = [&](const Bytes& r) {
    return LogSigned() + std::string(kWitnessLine.substr(0, at)) + Base64Encode(r) + "\n";
  };
  Bytes later = raw;
  later[11] ^= 0x01;  // the timestamp's last byte
  EXPECT_THAT(VerifyCosignature(with_raw(later), Witness()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Bytes huge = raw;
  huge[4] = 0x80;  // past 2^63-1
  EXPECT_THAT(VerifyCosignature(with_raw(huge), Witness()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Bytes flipped = raw;
  flipped[40] ^= 0x01;
  EXPECT_THAT(VerifyCosignature(with_raw(flipped), Witness()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Bytes untimed = raw;  // an Ed25519 note signature's shape: no timestamp
  untimed.erase(untimed.begin() + 4, untimed.begin() + 12);
  EXPECT_THAT(VerifyCosignature(with_raw(untimed), Witness()),
              StatusIs(absl::StatusCode::kUnauthenticated));

  EXPECT_THAT(VerifyCosignature("not a note", Witness()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CosignatureTest, ReturnsTheLatestOfSeveralCosignatures) {
  ASSERT_OK_AND_ASSIGN(std::string later,
                       MakeCosignatureWithSeed(kText, kWitnessName, kWitnessSeed, kTime + 60));
  ASSERT_OK_AND_ASSIGN(
      uint64_t when, VerifyCosignature(LogSigned() + later + std::string(kWitnessLine), Witness()));
  EXPECT_EQ(when, kTime + 60);
}

TEST(CosignatureTest, MakingRefusesBadInputAndBadSigners) {
  const crypto::Ed25519PublicKey pub = Witness().public_key;
  auto short_sig = [](ByteView) -> absl::StatusOr<Bytes> { return Bytes(63); };
  EXPECT_THAT(MakeCosignature(kText, kWitnessName, pub, kTime, short_sig),
              StatusIs(absl::StatusCode::kInternal));
  auto away = [](ByteView) -> absl::StatusOr<Bytes> {
    return absl::UnavailableError("key provider away");
  };
  EXPECT_THAT(MakeCosignature(kText, kWitnessName, pub, kTime, away),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(MakeCosignatureWithSeed("no newline", kWitnessName, kWitnessSeed, kTime),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeCosignatureWithSeed(kText, kWitnessName, kWitnessSeed, 1ULL << 63),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeCosignatureWithSeed(kText, "bad name", kWitnessSeed, kTime),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeCosignatureWithSeed(kText, kWitnessName, Bytes(31), kTime),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(MakeCosignatureWithSeed(kText, kWitnessName, kWitnessSeed, kMaxCosignatureTimestamp));
}

}  // namespace
}  // namespace domicile::tlog
