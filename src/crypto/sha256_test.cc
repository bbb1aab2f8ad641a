#include "crypto/sha256.h"

#include <string>

#include "gtest/gtest.h"
#include "util/encoding.h"

namespace domicile::crypto {
namespace {

constexpr std::string_view kNist448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

TEST(Sha256Test, EmptyString) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, Abc) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, Nist448BitMessage) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes(kNist448))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, HasherMatchesOneShotAcrossSplits) {
  const std::string text(kNist448);
  for (size_t split = 0; split <= text.size(); ++split) {
    Sha256Hasher hasher;
    hasher.Update(AsBytes(std::string_view(text).substr(0, split)));
    hasher.Update(AsBytes(std::string_view(text).substr(split)));
    EXPECT_EQ(hasher.Finish(), Sha256(AsBytes(text))) << "split at " << split;
  }
}

TEST(Sha256Test, TwoPartsHashAsTheirJoinAtEverySplit) {
  const std::string text(kNist448);
  for (size_t split = 0; split <= text.size(); ++split) {
    EXPECT_EQ(HexEncode(Sha256(AsBytes(std::string_view(text).substr(0, split)),
                               AsBytes(std::string_view(text).substr(split)))),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        << "split at " << split;
  }
}

TEST(Sha256Test, HasherResetsAfterFinish) {
  Sha256Hasher hasher;
  hasher.Update(AsBytes("first message"));
  hasher.Finish();
  hasher.Update(AsBytes("abc"));
  EXPECT_EQ(hasher.Finish(), Sha256(AsBytes("abc")));
  EXPECT_EQ(hasher.Finish(), Sha256(AsBytes("")));
}

TEST(Sha256Test, MovedHasherKeepsState) {
  Sha256Hasher a;
  a.Update(AsBytes("ab"));
  Sha256Hasher b(std::move(a));
  b.Update(AsBytes("c"));
  EXPECT_EQ(b.Finish(), Sha256(AsBytes("abc")));
}

}  // namespace
}  // namespace domicile::crypto
