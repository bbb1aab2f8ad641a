// SecretBytes: a move-only byte buffer for keys and other secrets. Its memory is zeroized when
// the buffer is destroyed or its contents move elsewhere, so a key does not linger in freed
// heap memory; copying is disabled so a secret has exactly one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "util/bytes.h"

namespace domicile::crypto {

// Zeroizes `buf` in a way the optimizer cannot remove as a dead store.
void Cleanse(std::span<uint8_t> buf);

class SecretBytes {
 public:
  SecretBytes() = default;
  // `n` zero bytes.
  explicit SecretBytes(size_t n);
  // A copy of `data`.
  explicit SecretBytes(ByteView data);

  // The source is left empty (size 0).
  SecretBytes(SecretBytes&& other) noexcept;
  // Zeroizes this buffer's previous contents; the source is left empty.
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return ByteView(data_.get(), size_); }

 private:
  // Zeroizes and frees the contents, leaving the buffer empty.
  void Clear();

  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

}  // namespace domicile::crypto
