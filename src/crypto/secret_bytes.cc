#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

namespace domicile::crypto {

void Cleanse(std::span<uint8_t> buf) {
  if (!buf.empty()) OPENSSL_cleanse(buf.data(), buf.size());
}

SecretBytes::SecretBytes(size_t n)
    : data_(n == 0 ? nullptr : std::make_unique<uint8_t[]>(n)), size_(n) {}

SecretBytes::SecretBytes(ByteView data) : SecretBytes(data.size()) {
  std::copy(data.begin(), data.end(), data_.get());
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Clear();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Clear(); }

void SecretBytes::Clear() {
  Cleanse(std::span<uint8_t>(data_.get(), size_));
  data_.reset();
  size_ = 0;
}

}  // namespace domicile::crypto
