// Text encodings of bytes (hex, standard base64 with padding) and fixed-width big-endian
// integers for on-disk and on-wire formats. Decoders reject malformed input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/bytes.h"

namespace domicile {

std::string HexEncode(ByteView data);
// Lower- or upper-case hex, even length; nullopt otherwise.
std::optional<Bytes> HexDecode(std::string_view hex);

std::string Base64Encode(ByteView data);
// Standard alphabet, padded, no whitespace; nullopt otherwise.
std::optional<Bytes> Base64Decode(std::string_view text);

void AppendU16(Bytes& out, uint16_t v);
void AppendU32(Bytes& out, uint32_t v);
void AppendU64(Bytes& out, uint64_t v);
uint16_t ReadU16(const uint8_t* p);
uint32_t ReadU32(const uint8_t* p);
uint64_t ReadU64(const uint8_t* p);

// Appends a uint16 length prefix and then `data`. REQUIRES: data.size() <= 65535.
void AppendLengthPrefixed16(Bytes& out, ByteView data);

// Reads fields from a byte string front to back; every read fails (returns false) rather than
// running past the end.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}
  bool ReadU8(uint8_t& v);
  bool ReadU16(uint16_t& v);
  bool ReadU64(uint64_t& v);
  bool ReadBytes(size_t n, ByteView& v);
  bool ReadLengthPrefixed16(ByteView& v);
  ByteView Rest() const { return data_.subspan(pos_); }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace domicile
