#include "value.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace trtsim {

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      mantissa &= 0x3ff;
      bits = sign | (exponent << 23) | (mantissa << 13);
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else {
    bits = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

uint16_t floatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t absBits = bits & 0x7fffffff;
  if (absBits >= 0x7f800000) return sign | 0x7c00 | (absBits > 0x7f800000 ? 0x200 : 0);  // inf / nan
  if (absBits >= 0x477ff000) return sign | 0x7c00;                                       // overflow to inf
  if (absBits < 0x38800000) {                                                            // subnormal half
    if (absBits < 0x33000000) return sign;
    uint32_t exponent = absBits >> 23;
    uint32_t mantissa = (absBits & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - exponent;
    uint32_t half = mantissa >> (shift + 1);
    uint32_t rest = mantissa & ((1u << (shift + 1)) - 1);
    uint32_t midpoint = 1u << shift;
    if (rest > midpoint || (rest == midpoint && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t half = ((absBits >> 13) - ((127 - 15) << 10));
  uint32_t rest = absBits & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return sign | static_cast<uint16_t>(half);
}

static float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

static uint16_t floatToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t rounding = 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

bool isFloatType(DataType type) { return type == DataType::kFLOAT || type == DataType::kHALF || type == DataType::kBF16; }

template <typename T>
static double saturate(double x) {
  if (std::isnan(x)) return 0;
  double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  double hi = static_cast<double>(std::numeric_limits<T>::max());
  return x < lo ? lo : (x > hi ? hi : std::trunc(x));
}

double narrow(DataType type, double x) {
  switch (type) {
    case DataType::kFLOAT:
      return static_cast<float>(x);
    case DataType::kHALF:
      return halfToFloat(floatToHalf(static_cast<float>(x)));
    case DataType::kBF16:
      return bf16ToFloat(floatToBf16(static_cast<float>(x)));
    case DataType::kINT8:
      return saturate<int8_t>(x);
    case DataType::kUINT8:
      return saturate<uint8_t>(x);
    case DataType::kINT32:
      return saturate<int32_t>(x);
    case DataType::kINT64:
      return std::isnan(x) ? 0 : std::trunc(x);
    case DataType::kBOOL:
      return x != 0 ? 1 : 0;
    default:
      return x;
  }
}

Value decode(DataType type, const Shape& dims, const void* bytes) {
  Value value;
  decodeInto(value, type, dims, bytes);
  return value;
}

void decodeInto(Value& value, DataType type, const Shape& dims, const void* bytes) {
  value.type = type;
  value.dims = dims;
  int64_t count = volume(dims);
  value.data.resize(static_cast<size_t>(count < 0 ? 0 : count));
  const uint8_t* p = static_cast<const uint8_t*>(bytes);
  for (size_t i = 0; i < value.data.size(); ++i) {
    double x = 0;
    switch (type) {
      case DataType::kFLOAT: {
        float v;
        std::memcpy(&v, p + 4 * i, 4);
        x = v;
        break;
      }
      case DataType::kHALF: {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        x = halfToFloat(v);
        break;
      }
      case DataType::kBF16: {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        x = bf16ToFloat(v);
        break;
      }
      case DataType::kINT8:
        x = static_cast<int8_t>(p[i]);
        break;
      case DataType::kUINT8:
      case DataType::kBOOL:
        x = p[i];
        break;
      case DataType::kINT32: {
        int32_t v;
        std::memcpy(&v, p + 4 * i, 4);
        x = v;
        break;
      }
      case DataType::kINT64: {
        int64_t v;
        std::memcpy(&v, p + 8 * i, 8);
        x = static_cast<double>(v);
        break;
      }
      default:
        break;
    }
    value.data[i] = x;
  }
}

void encode(const Value& value, void* bytes) {
  uint8_t* p = static_cast<uint8_t*>(bytes);
  for (size_t i = 0; i < value.data.size(); ++i) {
    double x = narrow(value.type, value.data[i]);
    switch (value.type) {
      case DataType::kFLOAT: {
        float v = static_cast<float>(x);
        std::memcpy(p + 4 * i, &v, 4);
        break;
      }
      case DataType::kHALF: {
        uint16_t v = floatToHalf(static_cast<float>(x));
        std::memcpy(p + 2 * i, &v, 2);
        break;
      }
      case DataType::kBF16: {
        uint16_t v = floatToBf16(static_cast<float>(x));
        std::memcpy(p + 2 * i, &v, 2);
        break;
      }
      case DataType::kINT8:
        p[i] = static_cast<uint8_t>(static_cast<int8_t>(x));
        break;
      case DataType::kUINT8:
      case DataType::kBOOL:
        p[i] = static_cast<uint8_t>(x);
        break;
      case DataType::kINT32: {
        int32_t v = static_cast<int32_t>(x);
        std::memcpy(p + 4 * i, &v, 4);
        break;
      }
      case DataType::kINT64: {
        int64_t v = static_cast<int64_t>(x);
        std::memcpy(p + 8 * i, &v, 8);
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace trtsim
