// A tensor as the CPU executor holds it: element type, concrete shape, and every element widened
// to double. Values are narrowed back to their type on every store, so float32/float16/int8
// results round exactly as a device writing that type would.
#pragma once

#include "graph.h"

namespace trtsim {

struct Value {
  DataType type = DataType::kFLOAT;
  Shape dims;
  std::vector<double> data;
};

// Rounds `x` to what an element of `type` can hold (saturating integer types, round-half-even
// where ONNX asks for it is the caller's business).
double narrow(DataType type, double x);

Value decode(DataType type, const Shape& dims, const void* bytes);
// decode into `value`, reusing the memory it already holds (the executor's buffers from the last run).
void decodeInto(Value& value, DataType type, const Shape& dims, const void* bytes);
void encode(const Value& value, void* bytes);

float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);

bool isFloatType(DataType type);

}  // namespace trtsim
