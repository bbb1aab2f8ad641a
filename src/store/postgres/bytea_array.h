// PostgreSQL's binary format for a one-dimensional bytea[] parameter, so that a whole batch of
// keys and values travels as one array parameter of a prepared statement (and unnest() turns it
// back into rows) without any escaping: keys and values are arbitrary bytes, NUL included.
//
// Layout (all integers big-endian): int32 ndim (0 when empty, else 1), int32 has_nulls,
// uint32 element type (17, bytea), then for ndim 1: int32 length, int32 lower bound (1), and
// each element as int32 byte count (-1 for NULL) followed by its bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace domicile::store::postgres {

class ByteaArray {
 public:
  ByteaArray();
  // Reserves room for `elements` elements of `bytes` bytes in all.
  void Reserve(size_t elements, size_t bytes);

  void Add(std::string_view element);
  void AddNull();
  void AddOptional(const std::optional<std::string>& element) {
    element.has_value() ? Add(*element) : AddNull();
  }

  size_t size() const { return count_; }

  // The encoded array, ready to be bound as a binary parameter. Valid until the next Add.
  std::string_view Encoded();

 private:
  // The header's room (kHeaderBytes), then the elements' length-prefixed bytes: the array is
  // encoded in place, never copied.
  std::string buffer_;
  size_t count_ = 0;
  bool has_nulls_ = false;
};

}  // namespace domicile::store::postgres
