#include "protobuf.h"

#include <cstring>
#include <type_traits>

namespace trtsim {

bool WireReader::readVarint(uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ >= end_) return ok_ = false;
    uint8_t byte = *p_++;
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return ok_ = false;
}

bool WireReader::next(Field& field) {
  if (!ok_ || p_ >= end_) return false;
  uint64_t key = 0;
  if (!readVarint(key)) return false;
  field = Field{};
  field.number = static_cast<uint32_t>(key >> 3);
  field.wireType = static_cast<uint32_t>(key & 7);
  if (field.number == 0) return ok_ = false;
  switch (field.wireType) {
    case 0:
      return readVarint(field.varint);
    case 1:
      if (end_ - p_ < 8) return ok_ = false;
      std::memcpy(&field.varint, p_, 8);
      p_ += 8;
      return true;
    case 5: {
      if (end_ - p_ < 4) return ok_ = false;
      uint32_t v = 0;
      std::memcpy(&v, p_, 4);
      field.varint = v;
      p_ += 4;
      return true;
    }
    case 2: {
      uint64_t length = 0;
      if (!readVarint(length)) return false;
      if (length > static_cast<uint64_t>(end_ - p_)) return ok_ = false;
      field.bytes = Bytes{p_, static_cast<size_t>(length)};
      p_ += length;
      return true;
    }
    default:
      return ok_ = false;
  }
}

void appendVarints(const Field& field, std::vector<int64_t>& out, bool& ok) {
  if (field.wireType == 0) {
    out.push_back(static_cast<int64_t>(field.varint));
    return;
  }
  if (field.wireType != 2) {
    ok = false;
    return;
  }
  const uint8_t* p = field.bytes.data;
  const uint8_t* end = p + field.bytes.size;
  while (p < end) {
    uint64_t value = 0;
    int shift = 0;
    bool done = false;
    while (p < end && shift < 64) {
      uint8_t byte = *p++;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) {
        done = true;
        break;
      }
    }
    if (!done) {
      ok = false;
      return;
    }
    out.push_back(static_cast<int64_t>(value));
  }
}

float fieldAsFloat(const Field& field) {
  uint32_t bits = static_cast<uint32_t>(field.varint);
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

namespace {

// A repeated fixed-width field: one value (wire type 5 for 4 bytes, 1 for 8 bytes; its bits are in
// `varint`) or a packed run of them (wire type 2).
template <typename T>
void appendFixed(const Field& field, std::vector<T>& out, bool& ok) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "fixed32 or fixed64");
  constexpr int kSingleWireType = sizeof(T) == 4 ? 5 : 1;
  if (field.wireType == kSingleWireType) {
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    Bits bits = static_cast<Bits>(field.varint);
    T value;
    std::memcpy(&value, &bits, sizeof(T));
    out.push_back(value);
    return;
  }
  if (field.wireType != 2 || field.bytes.size % sizeof(T) != 0) {
    ok = false;
    return;
  }
  size_t start = out.size();
  out.resize(start + field.bytes.size / sizeof(T));
  std::memcpy(out.data() + start, field.bytes.data, field.bytes.size);
}

}  // namespace

void appendFloats(const Field& field, std::vector<float>& out, bool& ok) { appendFixed(field, out, ok); }

void appendDoubles(const Field& field, std::vector<double>& out, bool& ok) { appendFixed(field, out, ok); }

}  // namespace trtsim
