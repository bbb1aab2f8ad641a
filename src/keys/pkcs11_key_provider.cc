#include "keys/pkcs11_key_provider.h"

#include <dlfcn.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "keys/pkcs11_error.h"
#include "util/status_macros.h"

namespace domicile::keys {
namespace {

constexpr std::string_view kKekLabelPrefix = "domicile:kek:";
constexpr std::string_view kSigningLabelPrefix = "domicile:sign:";
constexpr CK_ULONG kKekSize = 32;
constexpr size_t kEd25519PublicKeySize = 32;
constexpr size_t kEd25519SignatureSize = 64;
constexpr int kMaxSessions = 64;
constexpr CK_ULONG kMaxDataKeySize = 4096;  // far above any data key; bounds an allocation
// CKA_EC_PARAMS of an Ed25519 key: the DER of the OID 1.3.101.112 (id-Ed25519, RFC 8410).
// PKCS#11 3.0 allows this or the PrintableString "edwards25519"; SoftHSM 2.6.1 accepts both
// (and makes the same key), and the OID is the form every module that knows Ed25519 takes.
constexpr uint8_t kEd25519Params[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

std::string KekLabel(std::string_view id) { return fmt::format("{}{}", kKekLabelPrefix, id); }
std::string SigningLabel(std::string_view id) {
  return fmt::format("{}{}", kSigningLabelPrefix, id);
}

// A PKCS#11 attribute template. The values it owns (integers, booleans) stay where they are
// as it grows; byte values are borrowed and must outlive it.
class Template {
 public:
  Template& Ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
    ulongs_.push_back(value);
    return Add(type, &ulongs_.back(), sizeof(CK_ULONG));
  }
  Template& Bool(CK_ATTRIBUTE_TYPE type, bool value) {
    bools_.push_back(value ? CK_TRUE : CK_FALSE);
    return Add(type, &bools_.back(), sizeof(CK_BBOOL));
  }
  Template& Data(CK_ATTRIBUTE_TYPE type, ByteView value) {
    return Add(type, const_cast<uint8_t*>(value.data()), value.size());
  }
  Template& Text(CK_ATTRIBUTE_TYPE type, std::string_view value) {
    return Data(type, AsBytes(value));
  }
  CK_ATTRIBUTE* data() { return attrs_.data(); }
  CK_ULONG size() const { return attrs_.size(); }

 private:
  Template& Add(CK_ATTRIBUTE_TYPE type, void* value, size_t size) {
    attrs_.push_back({type, value, static_cast<CK_ULONG>(size)});
    return *this;
  }
  std::deque<CK_ULONG> ulongs_;
  std::deque<CK_BBOOL> bools_;
  std::vector<CK_ATTRIBUTE> attrs_;
};

// A loaded and initialized module, shared by every provider in the process that names the same
// path (PKCS#11 allows one C_Initialize per process); finalized when the last one lets go.
class Module {
 public:
  static absl::StatusOr<std::shared_ptr<Module>> Get(const std::filesystem::path& path) {
    std::lock_guard lock(RegistryMutex());
    std::weak_ptr<Module>& entry = Registry()[path.string()];
    if (std::shared_ptr<Module> module = entry.lock()) return module;
    // RTLD_NODELETE: the module stays mapped after dlclose, so loading it again after the
    // last provider closes finds its static state as C_Finalize left it.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) {
      const char* why = dlerror();
      return absl::UnavailableError(fmt::format("cannot load PKCS#11 module {}: {}", path.string(),
                                                why != nullptr ? why : "unknown error"));
    }
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
    CK_FUNCTION_LIST* fn = nullptr;
    if (get_list == nullptr || get_list(&fn) != CKR_OK || fn == nullptr) {
      dlclose(handle);
      return absl::UnavailableError(
          fmt::format("{} is not a PKCS#11 module (no C_GetFunctionList)", path.string()));
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = fn->C_Initialize(&args);
    // Initialized already by someone else in this process: use it, leave finalizing to them.
    const bool finalize = rv != CKR_CRYPTOKI_ALREADY_INITIALIZED;
    if (rv != CKR_OK && finalize) {
      dlclose(handle);
      absl::Status st = Pkcs11Error("C_Initialize", rv);
      return absl::UnavailableError(
          fmt::format("{}: {}", path.string(), std::string(st.message())));
    }
    // Deleted under the registry's lock, so that no one initializes the module again before
    // it is finalized.
    std::shared_ptr<Module> module(new Module(handle, fn, finalize), [](Module* m) {
      std::lock_guard lock(RegistryMutex());
      delete m;
    });
    entry = module;
    return module;
  }

  ~Module() {
    if (finalize_) fn_->C_Finalize(nullptr);
    dlclose(handle_);
  }

  CK_FUNCTION_LIST* fn() const { return fn_; }

 private:
  Module(void* handle, CK_FUNCTION_LIST* fn, bool finalize)
      : handle_(handle), fn_(fn), finalize_(finalize) {}

  // Leaked on purpose: providers may outlive static destruction.
  static std::mutex& RegistryMutex() {
    static auto* mu = new std::mutex;
    return *mu;
  }
  static std::map<std::string, std::weak_ptr<Module>>& Registry() {
    static auto* registry = new std::map<std::string, std::weak_ptr<Module>>;
    return *registry;
  }

  void* const handle_;
  CK_FUNCTION_LIST* const fn_;
  const bool finalize_;
};

// The label of a token, as CK_TOKEN_INFO pads it: 32 bytes, blank-filled.
std::string TokenLabel(const CK_TOKEN_INFO& info) {
  std::string label(reinterpret_cast<const char*>(info.label), sizeof(info.label));
  label.erase(label.find_last_not_of(' ') + 1);
  return label;
}

// The raw 32-byte Ed25519 public key from CKA_EC_POINT: a DER OCTET STRING around it
// (PKCS#11 3.0), or, from some modules, the bare 32 bytes.
absl::StatusOr<Bytes> DecodeEcPoint(ByteView point) {
  if (point.size() == kEd25519PublicKeySize) return Bytes(point.begin(), point.end());
  if (point.size() == kEd25519PublicKeySize + 2 && point[0] == 0x04 &&
      point[1] == kEd25519PublicKeySize) {
    return Bytes(point.begin() + 2, point.end());
  }
  return absl::InternalError(
      fmt::format("CKA_EC_POINT of {} bytes is not an Ed25519 public key", point.size()));
}

}  // namespace

struct Pkcs11KeyProvider::Impl {
  std::shared_ptr<Module> module;
  CK_FUNCTION_LIST* fn = nullptr;
  CK_SLOT_ID slot = 0;
  int max_sessions = 0;

  // Serializes creating and destroying keys, so that two concurrent CreateKey calls for one id
  // make one key.
  std::mutex create_mu;

  // The session pool. Sessions are opened on demand up to max_sessions and kept; the first
  // carries the login, which PKCS#11 makes the application's: every session of the token is
  // logged in while any is open.
  mutable std::mutex pool_mu;
  mutable std::condition_variable pool_cv;
  mutable std::vector<CK_SESSION_HANDLE> idle;  // guarded by pool_mu
  mutable int open_sessions = 0;                // guarded by pool_mu

  // A session borrowed from the pool for one call. Discard() closes it instead of returning
  // it, for a session whose state is unknown after an error.
  class Session {
   public:
    Session(const Impl* impl, CK_SESSION_HANDLE handle) : impl_(impl), handle_(handle) {}
    Session(Session&& other) noexcept
        : impl_(std::exchange(other.impl_, nullptr)), handle_(other.handle_) {}
    Session& operator=(Session&&) = delete;
    ~Session() {
      if (impl_ != nullptr) impl_->Release(handle_, discard_);
    }
    CK_SESSION_HANDLE handle() const { return handle_; }
    void Discard() { discard_ = true; }

   private:
    const Impl* impl_;
    CK_SESSION_HANDLE handle_;
    bool discard_ = false;
  };

  absl::StatusOr<Session> Acquire() const {
    std::unique_lock lock(pool_mu);
    pool_cv.wait(lock, [&] { return !idle.empty() || open_sessions < max_sessions; });
    if (!idle.empty()) {
      CK_SESSION_HANDLE h = idle.back();
      idle.pop_back();
      return Session(this, h);
    }
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    CK_RV rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
    RETURN_IF_ERROR(Pkcs11Error("C_OpenSession", rv));
    ++open_sessions;
    return Session(this, h);
  }

  void Release(CK_SESSION_HANDLE h, bool discard) const {
    CK_SESSION_HANDLE fresh = CK_INVALID_HANDLE;
    // The replacement opens before the old session closes: closing an application's last
    // session would log it out.
    if (discard && fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                     &fresh) == CKR_OK) {
      fn->C_CloseSession(h);
      h = fresh;
    }
    {
      std::lock_guard lock(pool_mu);
      idle.push_back(h);
    }
    pool_cv.notify_one();
  }

  // Every object matching `tmpl`.
  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> Find(Session& s, Template& tmpl) const {
    CK_RV rv = fn->C_FindObjectsInit(s.handle(), tmpl.data(), tmpl.size());
    RETURN_IF_ERROR(Pkcs11Error("C_FindObjectsInit", rv));
    std::vector<CK_OBJECT_HANDLE> found;
    CK_OBJECT_HANDLE batch[64];
    CK_ULONG n = 0;
    while ((rv = fn->C_FindObjects(s.handle(), batch, std::size(batch), &n)) == CKR_OK && n > 0) {
      found.insert(found.end(), batch, batch + n);
    }
    CK_RV final_rv = fn->C_FindObjectsFinal(s.handle());
    if (rv == CKR_OK) rv = final_rv;
    if (rv != CKR_OK) s.Discard();
    RETURN_IF_ERROR(Pkcs11Error("C_FindObjects", rv));
    return found;
  }

  // The one token object of class `cls` labelled `label`. NotFound if there is none;
  // FailedPrecondition if there are several (made outside domicile, or by two processes
  // creating the same key at once).
  absl::StatusOr<CK_OBJECT_HANDLE> FindOne(Session& s, CK_OBJECT_CLASS cls,
                                           const std::string& label) const {
    Template tmpl;
    tmpl.Ulong(CKA_CLASS, cls).Bool(CKA_TOKEN, true).Text(CKA_LABEL, label);
    ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found, Find(s, tmpl));
    if (found.empty()) return absl::NotFoundError(fmt::format("no key '{}' on the token", label));
    if (found.size() > 1) {
      return absl::FailedPreconditionError(
          fmt::format("the token holds {} objects labelled '{}'", found.size(), label));
    }
    return found[0];
  }

  // NotFound (for an invalid id, too) as the KeyProvider contract names it.
  absl::StatusOr<CK_OBJECT_HANDLE> FindKey(Session& s, CK_OBJECT_CLASS cls, std::string_view kind,
                                           std::string_view id) const {
    if (!ValidateKeyId(id).ok()) return absl::NotFoundError(fmt::format("no {} '{}'", kind, id));
    absl::StatusOr<CK_OBJECT_HANDLE> h =
        FindOne(s, cls, cls == CKO_SECRET_KEY ? KekLabel(id) : SigningLabel(id));
    if (absl::IsNotFound(h.status())) {
      return absl::NotFoundError(fmt::format("no {} '{}'", kind, id));
    }
    return h;
  }

  // Handles of the keys Wrap, Unwrap, Sign and SigningPublicKey have used, by class and id:
  // finding an object costs more than using it (SoftHSM2 searches every object on the token),
  // and a handle stays valid until the object is destroyed.
  mutable std::shared_mutex cache_mu;
  mutable std::map<std::string, CK_OBJECT_HANDLE, std::less<>> cache;  // guarded by cache_mu

  static std::string CacheKey(CK_OBJECT_CLASS cls, std::string_view id) {
    return fmt::format("{}/{}", cls, id);
  }
  void Forget(CK_OBJECT_CLASS cls, std::string_view id) const {
    std::unique_lock lock(cache_mu);
    cache.erase(CacheKey(cls, id));
  }

  // Whether `object` is still the key of class `cls` named `id`, and not another object that
  // took its handle after it was destroyed elsewhere (PKCS#11 lets a module reuse handles).
  bool StillTheKey(Session& s, CK_OBJECT_HANDLE object, CK_OBJECT_CLASS cls,
                   std::string_view id) const {
    const std::string label = cls == CKO_SECRET_KEY ? KekLabel(id) : SigningLabel(id);
    std::string got(label.size() + 1, '\0');  // one byte more: a longer label does not fit
    CK_OBJECT_CLASS got_class = CKO_VENDOR_DEFINED;
    CK_ATTRIBUTE attrs[] = {{CKA_LABEL, got.data(), got.size()},
                            {CKA_CLASS, &got_class, sizeof(got_class)}};
    return fn->C_GetAttributeValue(s.handle(), object, attrs, 2) == CKR_OK &&
           attrs[0].ulValueLen == label.size() && got.compare(0, label.size(), label) == 0 &&
           got_class == cls;
  }

  // Runs `op` (which returns a CK_RV) on the handle of key `id`, cached or found. When the
  // token says the handle is no longer valid (the key was destroyed, perhaps by another
  // process or provider), forgets it and tries once more with a fresh lookup. NotFound if
  // there is no such key. With `recheck`, a cached handle is first checked to still name the
  // key: for Wrap and Sign, whose output would be silently wrong under another key. (Unwrap
  // under another key fails RFC 5649's integrity check, so it needs no check.)
  template <typename Op>
  absl::StatusOr<CK_RV> WithKey(Session& s, CK_OBJECT_CLASS cls, std::string_view kind,
                                std::string_view id, bool recheck, Op op) const {
    const std::string key = CacheKey(cls, id);
    std::optional<CK_OBJECT_HANDLE> cached;
    {
      std::shared_lock lock(cache_mu);
      if (auto it = cache.find(key); it != cache.end()) cached = it->second;
    }
    if (cached.has_value() && recheck && !StillTheKey(s, *cached, cls, id)) {
      Forget(cls, id);
      cached.reset();
    }
    if (cached.has_value()) {
      CK_RV rv = op(*cached);
      if (rv != CKR_OBJECT_HANDLE_INVALID && rv != CKR_KEY_HANDLE_INVALID &&
          rv != CKR_WRAPPING_KEY_HANDLE_INVALID && rv != CKR_UNWRAPPING_KEY_HANDLE_INVALID) {
        return rv;
      }
      Forget(cls, id);
    }
    ASSIGN_OR_RETURN(CK_OBJECT_HANDLE handle, FindKey(s, cls, kind, id));
    {
      std::unique_lock lock(cache_mu);
      cache[key] = handle;
    }
    return op(handle);
  }

  // The value of attribute `type` of `object`.
  absl::StatusOr<Bytes> Attribute(Session& s, CK_OBJECT_HANDLE object,
                                  CK_ATTRIBUTE_TYPE type) const {
    CK_ATTRIBUTE attr{type, nullptr, 0};
    RETURN_IF_ERROR(
        Pkcs11Error("C_GetAttributeValue", fn->C_GetAttributeValue(s.handle(), object, &attr, 1)));
    Bytes value(attr.ulValueLen);
    attr.pValue = value.data();
    RETURN_IF_ERROR(
        Pkcs11Error("C_GetAttributeValue", fn->C_GetAttributeValue(s.handle(), object, &attr, 1)));
    value.resize(attr.ulValueLen);
    return value;
  }

  void Destroy(Session& s, CK_OBJECT_HANDLE object) const {
    if (fn->C_DestroyObject(s.handle(), object) != CKR_OK) s.Discard();
  }
};

Pkcs11KeyProvider::Pkcs11KeyProvider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Pkcs11KeyProvider::~Pkcs11KeyProvider() {
  std::lock_guard lock(impl_->pool_mu);
  for (CK_SESSION_HANDLE h : impl_->idle) impl_->fn->C_CloseSession(h);
}

absl::StatusOr<std::unique_ptr<Pkcs11KeyProvider>> Pkcs11KeyProvider::Open(Pkcs11Options options) {
  if (options.token_label.empty() || options.token_label.size() > 32) {
    return absl::InvalidArgumentError("PKCS#11 token label must be 1..32 bytes");
  }
  if (options.max_sessions < 1 || options.max_sessions > kMaxSessions) {
    return absl::InvalidArgumentError(
        fmt::format("PKCS#11 max_sessions must be 1..{}", kMaxSessions));
  }
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->module, Module::Get(options.module));
  impl->fn = impl->module->fn();
  impl->max_sessions = options.max_sessions;
  CK_FUNCTION_LIST* fn = impl->fn;

  CK_ULONG count = 0;
  RETURN_IF_ERROR(Pkcs11Error("C_GetSlotList", fn->C_GetSlotList(CK_TRUE, nullptr, &count)));
  std::vector<CK_SLOT_ID> slots(count);
  RETURN_IF_ERROR(Pkcs11Error("C_GetSlotList", fn->C_GetSlotList(CK_TRUE, slots.data(), &count)));
  slots.resize(count);
  bool found = false;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info;
    if (fn->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if ((info.flags & CKF_TOKEN_INITIALIZED) && TokenLabel(info) == options.token_label) {
      impl->slot = slot;
      found = true;
      break;
    }
  }
  if (!found) {
    return absl::NotFoundError(fmt::format("no PKCS#11 token labelled '{}' in {}",
                                           options.token_label, options.module.string()));
  }

  std::unique_ptr<Pkcs11KeyProvider> provider(new Pkcs11KeyProvider(std::move(impl)));
  {
    ASSIGN_OR_RETURN(Impl::Session session, provider->impl_->Acquire());
    CK_RV rv =
        fn->C_Login(session.handle(), CKU_USER, options.user_pin.data(), options.user_pin.size());
    options.user_pin = crypto::SecretBytes();  // zeroized
    if (rv != CKR_USER_ALREADY_LOGGED_IN) RETURN_IF_ERROR(Pkcs11Error("C_Login", rv));
  }
  return provider;
}

absl::Status Pkcs11KeyProvider::CreateKey(std::string_view id) {
  RETURN_IF_ERROR(ValidateKeyId(id));
  std::lock_guard create_lock(impl_->create_mu);
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  const std::string label = KekLabel(id);
  absl::StatusOr<CK_OBJECT_HANDLE> existing = impl_->FindOne(s, CKO_SECRET_KEY, label);
  if (!absl::IsNotFound(existing.status())) return existing.status();
  Template tmpl;
  tmpl.Ulong(CKA_CLASS, CKO_SECRET_KEY)
      .Ulong(CKA_KEY_TYPE, CKK_AES)
      .Ulong(CKA_VALUE_LEN, kKekSize)
      .Bool(CKA_TOKEN, true)
      .Bool(CKA_PRIVATE, true)
      .Bool(CKA_SENSITIVE, true)
      .Bool(CKA_EXTRACTABLE, false)
      .Bool(CKA_WRAP, true)
      .Bool(CKA_UNWRAP, true)
      .Bool(CKA_ENCRYPT, false)
      .Bool(CKA_DECRYPT, false)
      .Text(CKA_LABEL, label)
      .Text(CKA_ID, id);
  CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  return Pkcs11Error("C_GenerateKey",
                     impl_->fn->C_GenerateKey(s.handle(), &mech, tmpl.data(), tmpl.size(), &key));
}

bool Pkcs11KeyProvider::HasKey(std::string_view id) const {
  absl::StatusOr<Impl::Session> s = impl_->Acquire();
  return s.ok() && impl_->FindKey(*s, CKO_SECRET_KEY, "key", id).ok();
}

absl::StatusOr<Bytes> Pkcs11KeyProvider::Wrap(std::string_view id, ByteView data_key) const {
  // A whole number of 8-byte blocks, so that RFC 5649 adds no padding: SoftHSM 2.6.1's
  // C_UnwrapKey leaves that padding on the key it returns, so a 33-byte key would come back as
  // 40 bytes. Data keys are AES keys (16, 24 or 32 bytes).
  if (data_key.empty() || data_key.size() % 8 != 0 || data_key.size() > kMaxDataKeySize) {
    return absl::InvalidArgumentError(
        fmt::format("a data key to wrap must be a multiple of 8 bytes, 8..{}", kMaxDataKeySize));
  }
  if (!ValidateKeyId(id).ok()) return absl::NotFoundError(fmt::format("no key '{}'", id));
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  // C_WrapKey wraps objects, so the data key becomes one for the moment: a session object
  // (gone when the session closes, if Destroy should fail), extractable so it may be wrapped.
  Template tmpl;
  tmpl.Ulong(CKA_CLASS, CKO_SECRET_KEY)
      .Ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .Bool(CKA_TOKEN, false)
      .Bool(CKA_PRIVATE, true)
      .Bool(CKA_SENSITIVE, false)
      .Bool(CKA_EXTRACTABLE, true)
      .Data(CKA_VALUE, data_key);
  CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
  RETURN_IF_ERROR(Pkcs11Error(
      "C_CreateObject", impl_->fn->C_CreateObject(s.handle(), tmpl.data(), tmpl.size(), &object)));
  CK_MECHANISM mech{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  // RFC 5649 output: the key (a whole number of blocks, so not padded), plus 8.
  Bytes wrapped(data_key.size() + 8);
  CK_ULONG size = 0;
  absl::StatusOr<CK_RV> rv =
      impl_->WithKey(s, CKO_SECRET_KEY, "key", id, /*recheck=*/true, [&](CK_OBJECT_HANDLE kek) {
        size = wrapped.size();
        return impl_->fn->C_WrapKey(s.handle(), &mech, kek, object, wrapped.data(), &size);
      });
  impl_->Destroy(s, object);
  RETURN_IF_ERROR(rv.status());
  RETURN_IF_ERROR(Pkcs11Error("C_WrapKey", *rv));
  wrapped.resize(size);
  return wrapped;
}

absl::StatusOr<crypto::SecretBytes> Pkcs11KeyProvider::Unwrap(std::string_view id,
                                                              ByteView wrapped) const {
  if (!ValidateKeyId(id).ok()) return absl::NotFoundError(fmt::format("no key '{}'", id));
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  // RFC 5649 output is a whole number of 8-byte blocks, at least two. (A missing KEK is
  // NotFound whatever the input, so this is checked after looking it up.)
  const bool bad_length =
      wrapped.size() < 16 || wrapped.size() % 8 != 0 || wrapped.size() > kMaxDataKeySize + 16;
  // The data key comes back as a session object that is neither sensitive nor unextractable,
  // so that its value may be read, and is destroyed at once.
  Template tmpl;
  tmpl.Ulong(CKA_CLASS, CKO_SECRET_KEY)
      .Ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .Bool(CKA_TOKEN, false)
      .Bool(CKA_PRIVATE, true)
      .Bool(CKA_SENSITIVE, false)
      .Bool(CKA_EXTRACTABLE, true);
  CK_MECHANISM mech{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
  ASSIGN_OR_RETURN(
      CK_RV rv,
      impl_->WithKey(s, CKO_SECRET_KEY, "key", id, /*recheck=*/false, [&](CK_OBJECT_HANDLE kek) {
        if (bad_length) return CKR_WRAPPED_KEY_LEN_RANGE;
        return impl_->fn->C_UnwrapKey(s.handle(), &mech, kek, const_cast<uint8_t*>(wrapped.data()),
                                      wrapped.size(), tmpl.data(), tmpl.size(), &object);
      }));
  switch (rv) {
    case CKR_OK:
      break;
    // The integrity check of RFC 5649 failed, or the input is not of a wrapped key's length:
    // altered bytes, or wrapped under another KEK. SoftHSM 2.6 reports a failed integrity
    // check as CKR_GENERAL_ERROR (SoftHSM::UnwrapKeySym); with the KEK found and the length
    // checked above, that is what it means here.
    case CKR_GENERAL_ERROR:
    case CKR_WRAPPED_KEY_INVALID:
    case CKR_WRAPPED_KEY_LEN_RANGE:
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
      return absl::DataLossError(
          fmt::format("wrapped key does not unwrap under '{}' ({})", id, Pkcs11ReturnName(rv)));
    default:
      return Pkcs11Error("C_UnwrapKey", rv);
  }
  CK_ATTRIBUTE attr{CKA_VALUE, nullptr, 0};
  rv = impl_->fn->C_GetAttributeValue(s.handle(), object, &attr, 1);
  crypto::SecretBytes key;
  if (rv == CKR_OK && attr.ulValueLen > kMaxDataKeySize) rv = CKR_GENERAL_ERROR;
  if (rv == CKR_OK) {
    key = crypto::SecretBytes(attr.ulValueLen);
    attr.pValue = key.data();
    rv = impl_->fn->C_GetAttributeValue(s.handle(), object, &attr, 1);
  }
  impl_->Destroy(s, object);
  RETURN_IF_ERROR(Pkcs11Error("C_GetAttributeValue", rv));
  return key;
}

absl::Status Pkcs11KeyProvider::DestroyKey(std::string_view id) {
  std::lock_guard create_lock(impl_->create_mu);
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  ASSIGN_OR_RETURN(CK_OBJECT_HANDLE kek, impl_->FindKey(s, CKO_SECRET_KEY, "key", id));
  impl_->Forget(CKO_SECRET_KEY, id);
  return Pkcs11Error("C_DestroyObject", impl_->fn->C_DestroyObject(s.handle(), kek));
}

std::vector<std::string> Pkcs11KeyProvider::ListKeys() const {
  std::vector<std::string> ids;
  absl::StatusOr<Impl::Session> s = impl_->Acquire();
  if (!s.ok()) return ids;
  // PKCS#11 finds by exact value only, so every secret key is listed and its label checked.
  Template tmpl;
  tmpl.Ulong(CKA_CLASS, CKO_SECRET_KEY).Bool(CKA_TOKEN, true);
  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> found = impl_->Find(*s, tmpl);
  if (!found.ok()) return ids;
  for (CK_OBJECT_HANDLE object : *found) {
    absl::StatusOr<Bytes> label = impl_->Attribute(*s, object, CKA_LABEL);
    if (label.ok() && AsChars(*label).starts_with(kKekLabelPrefix)) {
      ids.emplace_back(AsChars(*label).substr(kKekLabelPrefix.size()));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

absl::Status Pkcs11KeyProvider::CreateSigningKey(std::string_view id) {
  RETURN_IF_ERROR(ValidateKeyId(id));
  std::lock_guard create_lock(impl_->create_mu);
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  const std::string label = SigningLabel(id);
  absl::StatusOr<CK_OBJECT_HANDLE> existing = impl_->FindOne(s, CKO_PRIVATE_KEY, label);
  if (!absl::IsNotFound(existing.status())) return existing.status();
  Template pub;
  pub.Ulong(CKA_CLASS, CKO_PUBLIC_KEY)
      .Ulong(CKA_KEY_TYPE, CKK_EC_EDWARDS)
      .Bool(CKA_TOKEN, true)
      .Bool(CKA_PRIVATE, false)
      .Bool(CKA_VERIFY, true)
      .Data(CKA_EC_PARAMS, kEd25519Params)
      .Text(CKA_LABEL, label)
      .Text(CKA_ID, id);
  Template priv;
  priv.Ulong(CKA_CLASS, CKO_PRIVATE_KEY)
      .Ulong(CKA_KEY_TYPE, CKK_EC_EDWARDS)
      .Bool(CKA_TOKEN, true)
      .Bool(CKA_PRIVATE, true)
      .Bool(CKA_SENSITIVE, true)
      .Bool(CKA_EXTRACTABLE, false)
      .Bool(CKA_SIGN, true)
      .Text(CKA_LABEL, label)
      .Text(CKA_ID, id);
  CK_MECHANISM mech{CKM_EC_EDWARDS_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub_key = CK_INVALID_HANDLE, priv_key = CK_INVALID_HANDLE;
  return Pkcs11Error("C_GenerateKeyPair",
                     impl_->fn->C_GenerateKeyPair(s.handle(), &mech, pub.data(), pub.size(),
                                                  priv.data(), priv.size(), &pub_key, &priv_key));
}

absl::StatusOr<Bytes> Pkcs11KeyProvider::SigningPublicKey(std::string_view id) const {
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  Bytes point(kEd25519PublicKeySize + 2);
  CK_ATTRIBUTE attr{CKA_EC_POINT, nullptr, 0};
  ASSIGN_OR_RETURN(CK_RV rv, impl_->WithKey(s, CKO_PUBLIC_KEY, "signing key", id, /*recheck=*/true,
                                            [&](CK_OBJECT_HANDLE pub) {
                                              attr = {CKA_EC_POINT, point.data(), point.size()};
                                              return impl_->fn->C_GetAttributeValue(s.handle(), pub,
                                                                                    &attr, 1);
                                            }));
  RETURN_IF_ERROR(Pkcs11Error("C_GetAttributeValue(CKA_EC_POINT)", rv));
  point.resize(attr.ulValueLen);
  return DecodeEcPoint(point);
}

absl::StatusOr<Bytes> Pkcs11KeyProvider::Sign(std::string_view id, ByteView message) const {
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  CK_MECHANISM mech{CKM_EDDSA, nullptr, 0};  // no parameters: pure Ed25519
  ASSIGN_OR_RETURN(CK_RV init, impl_->WithKey(s, CKO_PRIVATE_KEY, "signing key", id,
                                              /*recheck=*/true, [&](CK_OBJECT_HANDLE key) {
                                                return impl_->fn->C_SignInit(s.handle(), &mech,
                                                                             key);
                                              }));
  RETURN_IF_ERROR(Pkcs11Error("C_SignInit", init));
  Bytes signature(kEd25519SignatureSize);
  CK_ULONG size = signature.size();
  CK_RV rv = impl_->fn->C_Sign(s.handle(), const_cast<uint8_t*>(message.data()), message.size(),
                               signature.data(), &size);
  if (rv != CKR_OK) s.Discard();  // CKR_BUFFER_TOO_SMALL would leave the operation active
  RETURN_IF_ERROR(Pkcs11Error("C_Sign", rv));
  if (size != kEd25519SignatureSize) {
    return absl::InternalError(fmt::format("PKCS#11 C_Sign returned {} bytes, not 64", size));
  }
  return signature;
}

absl::StatusOr<Pkcs11KeyProvider::SecretAttributes> Pkcs11KeyProvider::SecretAttributesForTesting(
    KeyKind kind, std::string_view id) const {
  ASSIGN_OR_RETURN(Impl::Session s, impl_->Acquire());
  ASSIGN_OR_RETURN(
      CK_OBJECT_HANDLE key,
      impl_->FindKey(s, kind == KeyKind::kKek ? CKO_SECRET_KEY : CKO_PRIVATE_KEY, "key", id));
  SecretAttributes out;
  ASSIGN_OR_RETURN(Bytes sensitive, impl_->Attribute(s, key, CKA_SENSITIVE));
  ASSIGN_OR_RETURN(Bytes extractable, impl_->Attribute(s, key, CKA_EXTRACTABLE));
  out.sensitive = sensitive.size() == 1 && sensitive[0] == CK_TRUE;
  out.extractable = extractable.size() != 1 || extractable[0] != CK_FALSE;
  // Asks for the value with a buffer, as an attacker would; whatever comes back is wiped.
  Bytes value(64);
  CK_ATTRIBUTE attr{CKA_VALUE, value.data(), static_cast<CK_ULONG>(value.size())};
  CK_RV rv = impl_->fn->C_GetAttributeValue(s.handle(), key, &attr, 1);
  out.value_readable = rv == CKR_OK && attr.ulValueLen != CK_UNAVAILABLE_INFORMATION;
  crypto::Cleanse(value);
  return out;
}

}  // namespace domicile::keys
