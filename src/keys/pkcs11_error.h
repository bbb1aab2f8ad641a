// PKCS#11 return values (CK_RV) as absl::Status: the one place where a module's error codes
// become ours. A CK_RV is an unsigned long; this header spells it so to keep PKCS#11's own
// header out of ours.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace domicile::keys {

// "CKR_PIN_INCORRECT", or "CKR_0x..." for a code without a name (vendor-defined).
std::string Pkcs11ReturnName(unsigned long rv);

// OK for CKR_OK; otherwise "PKCS#11 <call>: <CKR name>" with the code abseil's guide gives:
// Unauthenticated for a wrong PIN, PermissionDenied for a locked or expired one, Unavailable
// when the token cannot be reached (removed, out of memory or sessions, not logged in),
// Internal for anything else. Callers that expect a specific code (a wrapped key that does not
// unwrap is DataLoss) check for it before calling this.
absl::Status Pkcs11Error(std::string_view call, unsigned long rv);

}  // namespace domicile::keys
