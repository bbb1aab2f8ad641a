#include "crypto/openssl_error.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::crypto {
namespace {

using ::domicile::testing::StatusIs;

TEST(OpenSslErrorTest, DrainsQueueIntoMessage) {
  ERR_clear_error();
  ASSERT_EQ(EVP_CIPHER_fetch(nullptr, "NO-SUCH-CIPHER", nullptr), nullptr);
  ASSERT_NE(ERR_peek_error(), 0u);
  const absl::Status status = OpenSslError("fetching cipher");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal));
  EXPECT_TRUE(absl::StartsWith(status.message(), "fetching cipher: error:")) << status;
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslErrorTest, EmptyQueue) {
  ERR_clear_error();
  const absl::Status status = OpenSslError("nothing failed");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(status.message(), "nothing failed: no OpenSSL error reported");
}

}  // namespace
}  // namespace domicile::crypto
