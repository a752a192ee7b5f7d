// A minimal reader for the protobuf wire format: enough to walk an ONNX ModelProto field by
// field without a generated schema. Malformed input surfaces as ok() == false, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace trtsim {

struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::string str() const { return std::string(reinterpret_cast<const char*>(data), size); }
};

struct Field {
  uint32_t number = 0;
  uint32_t wireType = 0;  // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
  uint64_t varint = 0;    // value of varint/fixed fields
  Bytes bytes;            // payload of length-delimited fields
};

class WireReader {
 public:
  WireReader(const void* data, size_t size) : p_(static_cast<const uint8_t*>(data)), end_(p_ + size) {}
  explicit WireReader(Bytes b) : WireReader(b.data, b.size) {}

  // Reads the next field; false at the end of the message or on malformed input (see ok()).
  bool next(Field& field);
  bool ok() const { return ok_; }

 private:
  bool readVarint(uint64_t& value);
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

// Repeated scalar fields arrive either packed (one length-delimited field) or one per field.
void appendVarints(const Field& field, std::vector<int64_t>& out, bool& ok);
void appendFloats(const Field& field, std::vector<float>& out, bool& ok);
void appendDoubles(const Field& field, std::vector<double>& out, bool& ok);
float fieldAsFloat(const Field& field);

}  // namespace trtsim
