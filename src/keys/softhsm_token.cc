#include "keys/softhsm_token.h"

#include <dlfcn.h>
#include <p11-kit-1/p11-kit/pkcs11.h>
#include <stdlib.h>

#include <system_error>
#include <vector>

#include "fmt/format.h"
#include "keys/pkcs11_error.h"
#include "util/file.h"
#include "util/status_macros.h"

namespace domicile::keys {
namespace {

constexpr std::string_view kSoPin = "so-pin-1234";
constexpr std::string_view kUserPin = "user-pin-5678";

CK_UTF8CHAR* Chars(std::string_view s) {
  return reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(s.data()));
}

// Initializes a token labelled `label` in the first free slot and sets its user PIN, on a
// module initialized for this call only.
absl::Status InitToken(const std::string& label) {
  void* handle = dlopen(kSoftHsmModule, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr)
    return absl::UnavailableError(fmt::format("cannot load {}", kSoftHsmModule));
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* fn = nullptr;
  if (get_list == nullptr || get_list(&fn) != CKR_OK) {
    dlclose(handle);
    return absl::UnavailableError(fmt::format("{} has no C_GetFunctionList", kSoftHsmModule));
  }
  CK_RV rv = fn->C_Initialize(nullptr);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    dlclose(handle);
    return absl::FailedPreconditionError(
        "SoftHSM2 is initialized in this process already: make the token before opening a "
        "provider on it");
  }
  auto slot_of = [&](bool initialized, CK_SLOT_ID& slot) -> absl::Status {
    CK_ULONG count = 0;
    RETURN_IF_ERROR(Pkcs11Error("C_GetSlotList", fn->C_GetSlotList(CK_TRUE, nullptr, &count)));
    std::vector<CK_SLOT_ID> slots(count);
    RETURN_IF_ERROR(Pkcs11Error("C_GetSlotList", fn->C_GetSlotList(CK_TRUE, slots.data(), &count)));
    for (CK_ULONG i = 0; i < count; ++i) {
      CK_TOKEN_INFO info;
      RETURN_IF_ERROR(Pkcs11Error("C_GetTokenInfo", fn->C_GetTokenInfo(slots[i], &info)));
      std::string token_label(reinterpret_cast<const char*>(info.label), sizeof(info.label));
      token_label.erase(token_label.find_last_not_of(' ') + 1);
      if (bool(info.flags & CKF_TOKEN_INITIALIZED) == initialized &&
          (!initialized || token_label == label)) {
        slot = slots[i];
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError(initialized ? "the new token is not in the slot list"
                                           : "SoftHSM2 offers no free slot");
  };
  auto init = [&]() -> absl::Status {
    RETURN_IF_ERROR(Pkcs11Error("C_Initialize", rv));
    CK_SLOT_ID slot = 0;
    RETURN_IF_ERROR(slot_of(false, slot));
    CK_UTF8CHAR padded[32];
    std::fill(std::begin(padded), std::end(padded), ' ');
    std::copy(label.begin(), label.end(), padded);
    RETURN_IF_ERROR(
        Pkcs11Error("C_InitToken", fn->C_InitToken(slot, Chars(kSoPin), kSoPin.size(), padded)));
    // SoftHSM2 moves an initialized token to a slot numbered after its serial: look again.
    RETURN_IF_ERROR(slot_of(true, slot));
    CK_SESSION_HANDLE session;
    RETURN_IF_ERROR(Pkcs11Error(
        "C_OpenSession",
        fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session)));
    rv = fn->C_Login(session, CKU_SO, Chars(kSoPin), kSoPin.size());
    if (rv == CKR_OK) rv = fn->C_InitPIN(session, Chars(kUserPin), kUserPin.size());
    fn->C_CloseSession(session);
    return Pkcs11Error("C_Login/C_InitPIN", rv);
  };
  absl::Status st = init();
  if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) fn->C_Finalize(nullptr);
  dlclose(handle);
  return st;
}

}  // namespace

Pkcs11Options SoftHsmToken::Options(int max_sessions) const {
  Pkcs11Options options;
  options.module = module;
  options.token_label = label;
  options.user_pin = crypto::SecretBytes(AsBytes(user_pin));
  options.max_sessions = max_sessions;
  return options;
}

absl::StatusOr<SoftHsmToken> OpenSoftHsmToken(const std::filesystem::path& dir, std::string label) {
  std::error_code ec;
  if (!std::filesystem::exists(kSoftHsmModule, ec)) {
    return absl::UnavailableError(
        fmt::format("SoftHSM2 is not installed (no {}); scripts/bootstrap --test installs the "
                    "softhsm2 package",
                    kSoftHsmModule));
  }
  if (label.empty() || label.size() > 32) {
    return absl::InvalidArgumentError("a token label must be 1..32 bytes");
  }
  const std::filesystem::path conf = dir / "softhsm2.conf";
  const bool exists = std::filesystem::exists(conf, ec);
  if (!exists) {
    std::filesystem::create_directories(dir / "tokens", ec);
    if (ec)
      return absl::InternalError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    const std::string text = fmt::format(
        "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n"
        "slots.removable = false\n",
        (dir / "tokens").string());
    RETURN_IF_ERROR(WriteFileAtomically(conf, AsBytes(text), 0600));
  }
  if (setenv("SOFTHSM2_CONF", conf.c_str(), 1) != 0) {
    return absl::InternalError("cannot set SOFTHSM2_CONF");
  }
  if (!exists) {
    absl::Status st = InitToken(label);
    if (!st.ok()) {
      std::filesystem::remove(conf, ec);
      return st;
    }
  }
  return SoftHsmToken{kSoftHsmModule, std::move(label), std::string(kUserPin)};
}

}  // namespace domicile::keys
