#include "keys/pkcs11_key_provider.h"

#include <thread>
#include <vector>

#include "crypto/ed25519.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/key_provider_conformance.h"
#include "keys/softhsm_token.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::keys {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The token in `dir` (made on first use) and a provider on it.
absl::StatusOr<std::unique_ptr<KeyProvider>> OpenOnSoftHsm(const std::filesystem::path& dir) {
  ASSIGN_OR_RETURN(SoftHsmToken token, OpenSoftHsmToken(dir));
  ASSIGN_OR_RETURN(std::unique_ptr<Pkcs11KeyProvider> provider,
                   Pkcs11KeyProvider::Open(token.Options()));
  return std::unique_ptr<KeyProvider>(std::move(provider));
}

INSTANTIATE_TEST_SUITE_P(SoftHsm, KeyProviderConformanceTest,
                         ::testing::Values(KeyProviderBackend{"Pkcs11SoftHsm", OpenOnSoftHsm}),
                         KeyProviderBackendName);

// The provider's own behaviour on a fresh SoftHSM2 token.
class Pkcs11KeyProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<SoftHsmToken> token = OpenSoftHsmToken(dir_.path());
    if (absl::IsUnavailable(token.status())) {
      GTEST_SKIP() << "PKCS#11 tests need SoftHSM2: " << token.status();
    }
    ASSERT_OK(token);
    token_ = *std::move(token);
  }

  domicile::testing::TempDir dir_;
  SoftHsmToken token_;
};

TEST_F(Pkcs11KeyProviderTest, SecretsNeverLeaveTheToken) {
  ASSERT_OK_AND_ASSIGN(auto provider, Pkcs11KeyProvider::Open(token_.Options()));
  ASSERT_OK(provider->CreateKey("site/a/US"));
  ASSERT_OK(provider->CreateSigningKey("log/x"));
  using Kind = Pkcs11KeyProvider::KeyKind;
  for (auto [kind, id] : {std::pair{Kind::kKek, "site/a/US"}, std::pair{Kind::kSigning, "log/x"}}) {
    ASSERT_OK_AND_ASSIGN(Pkcs11KeyProvider::SecretAttributes attrs,
                         provider->SecretAttributesForTesting(kind, id));
    EXPECT_TRUE(attrs.sensitive) << id;
    EXPECT_FALSE(attrs.extractable) << id;
    EXPECT_FALSE(attrs.value_readable) << id;
  }
}

TEST_F(Pkcs11KeyProviderTest, WrappedKeyIsRfc5649Output) {
  ASSERT_OK_AND_ASSIGN(auto provider, Pkcs11KeyProvider::Open(token_.Options()));
  ASSERT_OK(provider->CreateKey("k"));
  for (size_t size : {8, 16, 32, 4096}) {
    ASSERT_OK_AND_ASSIGN(Bytes wrapped, provider->Wrap("k", Bytes(size, 0x5a)));
    EXPECT_EQ(wrapped.size(), size + 8) << size;
  }
  // Sizes that RFC 5649 would pad, which SoftHSM does not unpad: refused.
  for (size_t size : {0, 1, 33, 4104}) {
    EXPECT_THAT(provider->Wrap("k", Bytes(size, 0x5a)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << size;
  }
}

TEST_F(Pkcs11KeyProviderTest, WrongPinIsUnauthenticated) {
  Pkcs11Options options = token_.Options();
  options.user_pin = crypto::SecretBytes(AsBytes("not-the-pin"));
  absl::StatusOr<std::unique_ptr<Pkcs11KeyProvider>> provider =
      Pkcs11KeyProvider::Open(std::move(options));
  EXPECT_THAT(provider, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(provider.status().message(), HasSubstr("CKR_PIN_INCORRECT"));
  // The right PIN still works (one wrong try does not lock the token).
  EXPECT_THAT(Pkcs11KeyProvider::Open(token_.Options()), domicile::testing::IsOk());
}

TEST_F(Pkcs11KeyProviderTest, UnknownTokenOrModuleIsRefused) {
  Pkcs11Options options = token_.Options();
  options.token_label = "no-such-token";
  EXPECT_THAT(Pkcs11KeyProvider::Open(std::move(options)), StatusIs(absl::StatusCode::kNotFound));
  options = token_.Options();
  options.module = dir_ / "missing.so";
  EXPECT_THAT(Pkcs11KeyProvider::Open(std::move(options)),
              StatusIs(absl::StatusCode::kUnavailable));
  options = token_.Options();
  options.max_sessions = 0;
  EXPECT_THAT(Pkcs11KeyProvider::Open(std::move(options)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11KeyProviderTest, ProvidersOnOneTokenShareKeysAndOutliveEachOther) {
  ASSERT_OK_AND_ASSIGN(auto first, Pkcs11KeyProvider::Open(token_.Options()));
  ASSERT_OK_AND_ASSIGN(auto second, Pkcs11KeyProvider::Open(token_.Options()));
  ASSERT_OK(first->CreateKey("k"));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, first->Wrap("k", Bytes(32, 3)));
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, second->Unwrap("k", wrapped));
  EXPECT_EQ(Bytes(got.view().begin(), got.view().end()), Bytes(32, 3));
  // The second provider has used (and kept the handle of) a KEK the first destroys: it sees
  // the KEK gone, then the new one made under the same name.
  ASSERT_OK(first->DestroyKey("k"));
  EXPECT_THAT(second->Unwrap("k", wrapped), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(first->CreateKey("k"));
  EXPECT_THAT(second->Unwrap("k", wrapped), StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(wrapped, second->Wrap("k", Bytes(32, 4)));
  // Closing the first closes its sessions; the second's keep the login.
  first.reset();
  ASSERT_OK_AND_ASSIGN(got, second->Unwrap("k", wrapped));
  EXPECT_EQ(Bytes(got.view().begin(), got.view().end()), Bytes(32, 4));
  EXPECT_THAT(second->ListKeys(), ElementsAre("k"));
}

TEST_F(Pkcs11KeyProviderTest, OneSessionServesManyThreads) {
  ASSERT_OK_AND_ASSIGN(auto provider, Pkcs11KeyProvider::Open(token_.Options(/*max_sessions=*/1)));
  ASSERT_OK(provider->CreateKey("k"));
  ASSERT_OK(provider->CreateSigningKey("s"));
  ASSERT_OK_AND_ASSIGN(Bytes public_key, provider->SigningPublicKey("s"));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Bytes data_key(32, static_cast<uint8_t>(t * 25 + i));
        absl::StatusOr<Bytes> wrapped = provider->Wrap("k", data_key);
        absl::StatusOr<crypto::SecretBytes> got =
            wrapped.ok() ? provider->Unwrap("k", *wrapped) : wrapped.status();
        if (!got.ok() || Bytes(got->view().begin(), got->view().end()) != data_key) ++failures;
        absl::StatusOr<Bytes> sig = provider->Sign("s", data_key);
        if (!sig.ok() || !crypto::Ed25519Verify(public_key, data_key, *sig)) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace domicile::keys
