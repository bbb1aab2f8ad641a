#include "crypto/ed25519.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::crypto {
namespace {

using ::domicile::testing::StatusIs;

Bytes Hex(std::string_view hex) {
  std::optional<Bytes> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or(Bytes());
}

struct Rfc8032Vector {
  std::string_view seed;
  std::string_view public_key;
  std::string_view message;
  std::string_view signature;
};

// RFC 8032 section 7.1, TEST 1 and TEST 2.
constexpr Rfc8032Vector kTest1 = {
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b",
};
constexpr Rfc8032Vector kTest2 = {
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
    "8c387b2eaeb4302aeeb00d291612bb0c00",
};

class Ed25519VectorTest : public ::testing::TestWithParam<Rfc8032Vector> {};

TEST_P(Ed25519VectorTest, PublicKeyFromSeed) {
  ASSERT_OK_AND_ASSIGN(Ed25519PublicKey public_key, Ed25519PublicFromSeed(Hex(GetParam().seed)));
  EXPECT_EQ(HexEncode(public_key), GetParam().public_key);
}

TEST_P(Ed25519VectorTest, Signature) {
  ASSERT_OK_AND_ASSIGN(Ed25519Signature signature,
                       Ed25519Sign(Hex(GetParam().seed), Hex(GetParam().message)));
  EXPECT_EQ(HexEncode(signature), GetParam().signature);
}

TEST_P(Ed25519VectorTest, Verifies) {
  EXPECT_TRUE(Ed25519Verify(Hex(GetParam().public_key), Hex(GetParam().message),
                            Hex(GetParam().signature)));
}

INSTANTIATE_TEST_SUITE_P(Rfc8032, Ed25519VectorTest, ::testing::Values(kTest1, kTest2));

class Ed25519Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(seed_, Ed25519GenerateSeed());
    ASSERT_OK_AND_ASSIGN(public_key_, Ed25519PublicFromSeed(seed_.view()));
    ASSERT_OK_AND_ASSIGN(signature_, Ed25519Sign(seed_.view(), message_));
  }

  SecretBytes seed_;
  Ed25519PublicKey public_key_;
  Bytes message_ = ToBytes("checkpoint 42: root abcdef");
  Ed25519Signature signature_;
};

TEST_F(Ed25519Test, GeneratedSeedSignsAndVerifies) {
  EXPECT_EQ(seed_.size(), kEd25519SeedSize);
  EXPECT_TRUE(Ed25519Verify(public_key_, message_, signature_));
}

TEST_F(Ed25519Test, GeneratedSeedsDiffer) {
  ASSERT_OK_AND_ASSIGN(SecretBytes other, Ed25519GenerateSeed());
  ASSERT_OK_AND_ASSIGN(Ed25519PublicKey other_public, Ed25519PublicFromSeed(other.view()));
  EXPECT_NE(other_public, public_key_);
}

TEST_F(Ed25519Test, FlippedMessageByteFails) {
  for (size_t i = 0; i < message_.size(); ++i) {
    Bytes message = message_;
    message[i] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(public_key_, message, signature_)) << "byte " << i;
  }
  EXPECT_FALSE(Ed25519Verify(public_key_, {}, signature_));
}

TEST_F(Ed25519Test, FlippedSignatureByteFails) {
  for (size_t i = 0; i < signature_.size(); ++i) {
    Ed25519Signature signature = signature_;
    signature[i] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(public_key_, message_, signature)) << "byte " << i;
  }
}

TEST_F(Ed25519Test, OtherPublicKeyFails) {
  Ed25519PublicKey public_key = public_key_;
  public_key[0] ^= 0x01;
  EXPECT_FALSE(Ed25519Verify(public_key, message_, signature_));
}

TEST_F(Ed25519Test, MalformedSizesFail) {
  const ByteView key(public_key_);
  const ByteView sig(signature_);
  EXPECT_FALSE(Ed25519Verify(key.first(31), message_, signature_));
  EXPECT_FALSE(Ed25519Verify(Bytes(33, 0), message_, signature_));
  EXPECT_FALSE(Ed25519Verify({}, message_, signature_));
  EXPECT_FALSE(Ed25519Verify(public_key_, message_, sig.first(63)));
  EXPECT_FALSE(Ed25519Verify(public_key_, message_, {}));
}

TEST(Ed25519SeedTest, WrongSeedSizeIsInvalidArgument) {
  for (size_t size : {0, 31, 33, 64}) {
    const Bytes seed(size, 7);
    EXPECT_THAT(Ed25519PublicFromSeed(seed), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Ed25519Sign(seed, AsBytes("m")), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace domicile::crypto
