// PageBuffer: a byte buffer of a fixed capacity that grows only when asked to, mapped straight
// from the kernel and backed by transparent huge pages where the kernel allows (madvise). For
// buffers of megabytes that are filled once per operation: touching a fresh 4 MiB buffer page by
// page costs about a thousand page faults, which on some VMs is milliseconds; in 2 MiB pages it
// is a few. Not thread-safe.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace domicile {

class PageBuffer {
 public:
  explicit PageBuffer(size_t capacity) { Reserve(capacity); }
  ~PageBuffer() { Unmap(); }
  PageBuffer(PageBuffer&& other) noexcept { Swap(other); }
  PageBuffer& operator=(PageBuffer&& other) noexcept {
    PageBuffer moved(std::move(other));
    Swap(moved);
    return *this;
  }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return std::string_view(data_, size_); }
  void clear() { size_ = 0; }

  // Room for `n` more bytes at data() + size(), growing if needed; then Commit(n) adds them.
  char* Extend(size_t n) {
    if (size_ + n > capacity_) Reserve(std::max(size_ + n, capacity_ * 2));
    return data_ + size_;
  }
  void Commit(size_t n) { size_ += n; }

  void Swap(PageBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;

  // Maps at least `capacity` bytes, keeping the contents. Throws std::bad_alloc as new does.
  void Reserve(size_t capacity) {
    const size_t bytes = (std::max<size_t>(capacity, 1) + kHugePage - 1) / kHugePage * kHugePage;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::madvise(p, bytes, MADV_HUGEPAGE);  // a hint: without it, ordinary pages
    char* fresh = static_cast<char*>(p);
    if (size_ > 0) std::memcpy(fresh, data_, size_);
    Unmap();
    data_ = fresh;
    capacity_ = bytes;
  }
  void Unmap() {
    if (data_ != nullptr) ::munmap(data_, capacity_);
    data_ = nullptr;
    capacity_ = 0;
  }

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace domicile
