// Micro-benchmarks of src/crypto. Target: sealing plus opening a 1 KiB value (BM_SealOpen1KiB)
// within 2 µs.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace domicile::crypto {
namespace {

constexpr size_t kValueSize = 1024;

const Bytes& Key() {
  static const Bytes key(kAes256KeySize, 0x11);
  return key;
}
const Bytes& Nonce() {
  static const Bytes nonce(kGcmNonceSize, 0x22);
  return nonce;
}
const Bytes& Value() {
  static const Bytes value(kValueSize, 0x33);
  return value;
}
const Bytes& Aad() {
  static const Bytes aad = ToBytes("tenant/eu/subject/1234/record/5678");
  return aad;
}

void BM_Seal1KiB(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<Bytes> sealed = Aes256GcmSeal(Key(), Nonce(), Value(), Aad());
    if (!sealed.ok()) std::abort();
    benchmark::DoNotOptimize(sealed->data());
  }
  state.SetBytesProcessed(state.iterations() * kValueSize);
}
BENCHMARK(BM_Seal1KiB);

// Each call under another key than the thread's last two (as a node's reads of many
// subjects are): every call keys a context.
void BM_Seal1KiBKeyEachCall(benchmark::State& state) {
  std::vector<Bytes> keys;
  for (uint8_t k = 1; k <= 3; ++k) keys.emplace_back(kAes256KeySize, k);
  size_t n = 0;
  for (auto _ : state) {
    absl::StatusOr<Bytes> sealed = Aes256GcmSeal(keys[n++ % keys.size()], Nonce(), Value(), Aad());
    if (!sealed.ok()) std::abort();
    benchmark::DoNotOptimize(sealed->data());
  }
  state.SetBytesProcessed(state.iterations() * kValueSize);
}
BENCHMARK(BM_Seal1KiBKeyEachCall);

void BM_Open1KiB(benchmark::State& state) {
  const Bytes sealed = *Aes256GcmSeal(Key(), Nonce(), Value(), Aad());
  for (auto _ : state) {
    absl::StatusOr<Bytes> opened = Aes256GcmOpen(Key(), Nonce(), sealed, Aad());
    if (!opened.ok()) std::abort();
    benchmark::DoNotOptimize(opened->data());
  }
  state.SetBytesProcessed(state.iterations() * kValueSize);
}
BENCHMARK(BM_Open1KiB);

void BM_SealOpen1KiB(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<Bytes> sealed = Aes256GcmSeal(Key(), Nonce(), Value(), Aad());
    if (!sealed.ok()) std::abort();
    absl::StatusOr<Bytes> opened = Aes256GcmOpen(Key(), Nonce(), *sealed, Aad());
    if (!opened.ok()) std::abort();
    benchmark::DoNotOptimize(opened->data());
  }
  state.SetBytesProcessed(state.iterations() * kValueSize);
}
BENCHMARK(BM_SealOpen1KiB);

void BM_Sha256_1KiB(benchmark::State& state) {
  for (auto _ : state) {
    Sha256Digest digest = Sha256(Value());
    benchmark::DoNotOptimize(digest.data());
  }
  state.SetBytesProcessed(state.iterations() * kValueSize);
}
BENCHMARK(BM_Sha256_1KiB);

// A Merkle node or leaf: most hashes in the log and the migration are this small.
void BM_Sha256_65B(benchmark::State& state) {
  const Bytes node(65, 0x5a);
  for (auto _ : state) {
    Sha256Digest digest = Sha256(node);
    benchmark::DoNotOptimize(digest.data());
  }
}
BENCHMARK(BM_Sha256_65B);

const Bytes& Seed() {
  static const Bytes seed(32, 0x44);
  return seed;
}

void BM_Ed25519Sign(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<Ed25519Signature> signature = Ed25519Sign(Seed(), Aad());
    if (!signature.ok()) std::abort();
    benchmark::DoNotOptimize(signature->data());
  }
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  const Ed25519PublicKey public_key = *Ed25519PublicFromSeed(Seed());
  const Ed25519Signature signature = *Ed25519Sign(Seed(), Aad());
  for (auto _ : state) {
    bool valid = Ed25519Verify(public_key, Aad(), signature);
    if (!valid) std::abort();
    benchmark::DoNotOptimize(valid);
  }
}
BENCHMARK(BM_Ed25519Verify);

}  // namespace
}  // namespace domicile::crypto
