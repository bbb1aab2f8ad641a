#include "store/postgres/bytea_array.h"

#include <cstdint>
#include <limits>

namespace domicile::store::postgres {
namespace {

constexpr uint32_t kByteaOid = 17;
// ndim, has_nulls, element type, and for one dimension its length and lower bound.
constexpr size_t kHeaderBytes = 20;
constexpr size_t kEmptyHeaderBytes = 12;

void AppendInt32(std::string& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}

void PutInt32(char* out, uint32_t v) {
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
}

}  // namespace

ByteaArray::ByteaArray() : buffer_(kHeaderBytes, '\0') {}

void ByteaArray::Reserve(size_t elements, size_t bytes) {
  buffer_.reserve(kHeaderBytes + 4 * elements + bytes);
}

void ByteaArray::Add(std::string_view element) {
  // Callers bound values well below bytea's 1 GiB limit; the server refuses larger ones.
  AppendInt32(buffer_, static_cast<uint32_t>(element.size()));
  buffer_.append(element);
  ++count_;
}

void ByteaArray::AddNull() {
  AppendInt32(buffer_, std::numeric_limits<uint32_t>::max());  // -1: NULL
  has_nulls_ = true;
  ++count_;
}

std::string_view ByteaArray::Encoded() {
  if (count_ == 0) {  // an empty array has no dimension: ndim 0, no length, no lower bound
    char* header = buffer_.data() + kHeaderBytes - kEmptyHeaderBytes;
    PutInt32(header, 0);
    PutInt32(header + 4, 0);
    PutInt32(header + 8, kByteaOid);
    return std::string_view(header, kEmptyHeaderBytes);
  }
  char* header = buffer_.data();
  PutInt32(header, 1);
  PutInt32(header + 4, has_nulls_ ? 1 : 0);
  PutInt32(header + 8, kByteaOid);
  PutInt32(header + 12, static_cast<uint32_t>(count_));
  PutInt32(header + 16, 1);
  return buffer_;
}

}  // namespace domicile::store::postgres
