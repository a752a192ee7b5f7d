// nvinfer1::Dims to and from the plain number arrays JS uses for shapes (-1 for a dynamic
// dimension), and the little arithmetic the runtime needs on them.
#pragma once

#include <NvInferRuntime.h>
#include <napi.h>

#include <cstdint>

namespace trtn {

// JS has validated the array (at most Dims::MAX_DIMS integers).
nvinfer1::Dims ToDims(Napi::Array array);
Napi::Array DimsToArray(Napi::Env env, const nvinfer1::Dims& dims);
// True when the rank or any dimension is not known yet (negative).
bool HasUnknownDims(const nvinfer1::Dims& dims);
// Number of elements; only meaningful when !HasUnknownDims(dims).
int64_t Volume(const nvinfer1::Dims& dims);

}  // namespace trtn
