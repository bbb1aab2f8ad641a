// SoftHsmToken: a throwaway SoftHSM2 token in a directory, for the PKCS#11 provider's tests and
// benchmark (test-only: library domicile_keys_softhsm). SoftHSM2 finds its tokens through the
// configuration file named by SOFTHSM2_CONF, which it reads when the module is initialized, so
// the token chosen here is the whole process's.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "keys/pkcs11_key_provider.h"

namespace domicile::keys {

// Where Debian's softhsm2 package puts the module.
inline constexpr char kSoftHsmModule[] = "/usr/lib/softhsm/libsofthsm2.so";

struct SoftHsmToken {
  std::filesystem::path module;
  std::string label;
  std::string user_pin;  // a test PIN, not a secret

  // Options that open a Pkcs11KeyProvider on this token.
  Pkcs11Options Options(int max_sessions = 4) const;
};

// Points SOFTHSM2_CONF at <dir>/softhsm2.conf. If that file does not exist, writes it (tokens
// in <dir>/tokens) and initializes a token labelled `label` through PKCS#11 (C_InitToken,
// C_InitPIN); otherwise reuses the token it holds. Unavailable, saying why, if the SoftHSM2
// module is not installed (scripts/bootstrap --test installs it).
// REQUIRES: no Pkcs11KeyProvider has the module open in this process (FailedPrecondition
// otherwise), and no other thread reads the environment meanwhile.
absl::StatusOr<SoftHsmToken> OpenSoftHsmToken(const std::filesystem::path& dir,
                                              std::string label = "domicile-test");

}  // namespace domicile::keys
