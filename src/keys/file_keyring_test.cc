#include "keys/file_keyring.h"

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "gtest/gtest.h"
#include "keys/key_provider_conformance.h"
#include "util/file.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::keys {
namespace {

using ::domicile::testing::StatusIs;

crypto::SecretBytes Master(uint8_t fill) {
  crypto::SecretBytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key.data()[i] = fill;
  return key;
}

INSTANTIATE_TEST_SUITE_P(
    File, KeyProviderConformanceTest,
    ::testing::Values(KeyProviderBackend{
        "File",
        [](const std::filesystem::path& dir) -> absl::StatusOr<std::unique_ptr<KeyProvider>> {
          ASSIGN_OR_RETURN(std::unique_ptr<FileKeyring> ring,
                           FileKeyring::Open(dir / "keyring", Master(1)));
          return std::unique_ptr<KeyProvider>(std::move(ring));
        }}),
    KeyProviderBackendName);

TEST(FileKeyring, WrapsAndUnwrapsAcrossReopen) {
  testing::TempDir dir;
  Bytes data_key(32, 0x42);
  Bytes wrapped;
  {
    ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
    ASSERT_OK(ring->CreateKey("site/a/US"));
    ASSERT_OK(ring->CreateKey("site/a/US"));  // idempotent
    ASSERT_OK_AND_ASSIGN(wrapped, ring->Wrap("site/a/US", data_key));
    EXPECT_NE(wrapped, data_key);
  }
  ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
  EXPECT_EQ(ring->ListKeys(), std::vector<std::string>{"site/a/US"});
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, ring->Unwrap("site/a/US", wrapped));
  EXPECT_EQ(Bytes(got.view().begin(), got.view().end()), data_key);
  ASSERT_OK_AND_ASSIGN(unsigned mode, FileMode(dir / "keyring"));
  EXPECT_EQ(mode, 0600u);
}

TEST(FileKeyring, WrongMasterKeyIsRefused) {
  testing::TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
    ASSERT_OK(ring->CreateKey("k"));
  }
  EXPECT_THAT(FileKeyring::Open(dir / "keyring", Master(2)), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(FileKeyring, AlteredFileIsRefused) {
  testing::TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
    ASSERT_OK(ring->CreateKey("k"));
  }
  ASSERT_OK_AND_ASSIGN(std::string file, ReadFileToString(dir / "keyring"));
  file[file.size() / 2] ^= 1;
  ASSERT_OK(WriteFileAtomically(dir / "keyring", AsBytes(file)));
  EXPECT_THAT(FileKeyring::Open(dir / "keyring", Master(1)), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(FileKeyring, WrappedKeyOnlyUnwrapsUnderItsKek) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
  ASSERT_OK(ring->CreateKey("a"));
  ASSERT_OK(ring->CreateKey("b"));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, ring->Wrap("a", Bytes(32, 7)));
  EXPECT_THAT(ring->Unwrap("b", wrapped), StatusIs(absl::StatusCode::kDataLoss));
  wrapped.back() ^= 1;
  EXPECT_THAT(ring->Unwrap("a", wrapped), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ring->Wrap("missing", Bytes(32, 7)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ring->CreateKey(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FileKeyring, DestroyedKeyIsGoneForGood) {
  testing::TempDir dir;
  Bytes wrapped;
  {
    ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
    ASSERT_OK(ring->CreateKey("doomed"));
    ASSERT_OK_AND_ASSIGN(wrapped, ring->Wrap("doomed", Bytes(32, 9)));
    ASSERT_OK(ring->DestroyKey("doomed"));
    EXPECT_THAT(ring->Unwrap("doomed", wrapped), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(ring->DestroyKey("doomed"), StatusIs(absl::StatusCode::kNotFound));
  }
  ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
  EXPECT_FALSE(ring->HasKey("doomed"));
  EXPECT_THAT(ring->Unwrap("doomed", wrapped), StatusIs(absl::StatusCode::kNotFound));
}

TEST(FileKeyring, SigningKeysSignAcrossReopenAndStaySeparateFromKeks) {
  testing::TempDir dir;
  Bytes message = ToBytes("checkpoint text\n");
  Bytes public_key;
  {
    ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
    EXPECT_THAT(ring->Sign("log/x", message).status(), StatusIs(absl::StatusCode::kNotFound));
    ASSERT_OK(ring->CreateKey("site/a/US"));
    ASSERT_OK(ring->CreateSigningKey("log/x"));
    ASSERT_OK_AND_ASSIGN(public_key, ring->SigningPublicKey("log/x"));
    ASSERT_OK(ring->CreateSigningKey("log/x"));  // idempotent: the same key
    ASSERT_OK_AND_ASSIGN(Bytes again, ring->SigningPublicKey("log/x"));
    EXPECT_EQ(again, public_key);
    // A signing key is not a KEK.
    EXPECT_FALSE(ring->HasKey("log/x"));
    EXPECT_EQ(ring->ListKeys(), std::vector<std::string>{"site/a/US"});
  }
  ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", Master(1)));
  ASSERT_OK_AND_ASSIGN(Bytes reopened, ring->SigningPublicKey("log/x"));
  EXPECT_EQ(reopened, public_key);
  ASSERT_OK_AND_ASSIGN(Bytes sig, ring->Sign("log/x", message));
  EXPECT_TRUE(crypto::Ed25519Verify(public_key, message, sig));
  message.back() ^= 1;
  EXPECT_FALSE(crypto::Ed25519Verify(public_key, message, sig));
  EXPECT_TRUE(ring->HasKey("site/a/US"));
}

}  // namespace
}  // namespace domicile::keys
