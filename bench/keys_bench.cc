// The key providers' unwrap path: what every protected read pays to recover its data key.
// Target: ≥ 200,000 unwraps/s of a 32-byte data key with the file keyring on 2 cores. The
// PKCS#11 figures run against SoftHSM2 on a throwaway token (skipped, saying so, without it);
// /sessions:1 is one session shared under the pool's lock, /sessions:4 the default pool.
// Run: build/bench/keys_bench (docs/PERFORMANCE.md, "Key providers").
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "benchmark/benchmark.h"
#include "keys/file_keyring.h"
#include "keys/pkcs11_key_provider.h"
#include "keys/softhsm_token.h"

namespace domicile::keys {
namespace {

constexpr char kKek[] = "site/us-tx/US";
const Bytes kDataKey(32, 0x42);

// The providers under test, made once per process in a temporary directory removed at exit.
class Providers {
 public:
  static Providers& Get() {
    static Providers providers;
    return providers;
  }
  ~Providers() {
    pkcs11_.clear();  // before the token's files go
    file_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  KeyProvider* File() { return file_.get(); }
  // nullptr, with the reason in `why`, when SoftHSM2 is not usable here.
  KeyProvider* Pkcs11(int sessions, std::string& why) {
    std::lock_guard lock(mu_);
    if (!token_.ok()) {
      why = std::string(token_.status().message());
      return nullptr;
    }
    std::unique_ptr<KeyProvider>& provider = pkcs11_[sessions];
    if (provider == nullptr) {
      absl::StatusOr<std::unique_ptr<Pkcs11KeyProvider>> opened =
          Pkcs11KeyProvider::Open(token_->Options(sessions));
      if (!opened.ok() || !(*opened)->CreateKey(kKek).ok() ||
          !(*opened)->CreateSigningKey(kKek).ok()) {
        why = "cannot open the SoftHSM2 token";
        return nullptr;
      }
      provider = std::move(*opened);
    }
    return provider.get();
  }

 private:
  Providers() {
    dir_ = std::filesystem::temp_directory_path() /
           ("domicile-keys-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    absl::StatusOr<std::unique_ptr<FileKeyring>> file =
        FileKeyring::Open(dir_ / "keyring", crypto::SecretBytes(32));
    if (!file.ok() || !(*file)->CreateKey(kKek).ok() || !(*file)->CreateSigningKey(kKek).ok()) {
      std::abort();
    }
    file_ = std::move(*file);
    token_ = OpenSoftHsmToken(dir_ / "softhsm");
  }

  std::filesystem::path dir_;
  std::unique_ptr<FileKeyring> file_;
  absl::StatusOr<SoftHsmToken> token_;
  std::mutex mu_;
  std::map<int, std::unique_ptr<KeyProvider>> pkcs11_;
};

void Unwrap(benchmark::State& state, KeyProvider& provider) {
  absl::StatusOr<Bytes> wrapped = provider.Wrap(kKek, kDataKey);
  if (!wrapped.ok()) return state.SkipWithError("wrap failed");
  for (auto _ : state) {
    absl::StatusOr<crypto::SecretBytes> key = provider.Unwrap(kKek, *wrapped);
    if (!key.ok()) return state.SkipWithError("unwrap failed");
    benchmark::DoNotOptimize(key->data());
  }
  state.SetItemsProcessed(state.iterations());
}

void Wrap(benchmark::State& state, KeyProvider& provider) {
  for (auto _ : state) {
    absl::StatusOr<Bytes> wrapped = provider.Wrap(kKek, kDataKey);
    if (!wrapped.ok()) return state.SkipWithError("wrap failed");
    benchmark::DoNotOptimize(wrapped->data());
  }
  state.SetItemsProcessed(state.iterations());
}

void Sign(benchmark::State& state, KeyProvider& provider) {
  const Bytes message(200, 0x33);  // about a checkpoint's size
  for (auto _ : state) {
    absl::StatusOr<Bytes> signature = provider.Sign(kKek, message);
    if (!signature.ok()) return state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(signature->data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_FileKeyringUnwrap32(benchmark::State& state) { Unwrap(state, *Providers::Get().File()); }
BENCHMARK(BM_FileKeyringUnwrap32)->Threads(1)->Threads(2)->UseRealTime();

void BM_FileKeyringWrap32(benchmark::State& state) { Wrap(state, *Providers::Get().File()); }
BENCHMARK(BM_FileKeyringWrap32)->Threads(1)->Threads(2)->UseRealTime();

void BM_FileKeyringSign(benchmark::State& state) { Sign(state, *Providers::Get().File()); }
BENCHMARK(BM_FileKeyringSign)->UseRealTime();

// Runs `body` on the SoftHSM2 provider with state.range(0) sessions, or skips saying why.
template <typename Body>
void OnSoftHsm(benchmark::State& state, Body body) {
  std::string why;
  KeyProvider* provider = Providers::Get().Pkcs11(static_cast<int>(state.range(0)), why);
  if (provider == nullptr) return state.SkipWithError(("SoftHSM2: " + why).c_str());
  body(state, *provider);
}

void BM_SoftHsmUnwrap32(benchmark::State& state) { OnSoftHsm(state, Unwrap); }
BENCHMARK(BM_SoftHsmUnwrap32)
    ->ArgName("sessions")
    ->Arg(1)
    ->Arg(4)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void BM_SoftHsmWrap32(benchmark::State& state) { OnSoftHsm(state, Wrap); }
BENCHMARK(BM_SoftHsmWrap32)->ArgName("sessions")->Arg(4)->Threads(1)->Threads(2)->UseRealTime();

void BM_SoftHsmSign(benchmark::State& state) { OnSoftHsm(state, Sign); }
BENCHMARK(BM_SoftHsmSign)->ArgName("sessions")->Arg(4)->UseRealTime();

}  // namespace
}  // namespace domicile::keys
