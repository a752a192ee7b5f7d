#include "tensorrt/dims.h"

namespace trtn {

nvinfer1::Dims ToDims(Napi::Array array) {
  nvinfer1::Dims dims{};
  dims.nbDims = static_cast<int32_t>(array.Length());
  for (uint32_t i = 0; i < array.Length() && i < static_cast<uint32_t>(nvinfer1::Dims::MAX_DIMS); ++i) {
    dims.d[i] = array.Get(i).As<Napi::Number>().Int64Value();
  }
  return dims;
}

Napi::Array DimsToArray(Napi::Env env, const nvinfer1::Dims& dims) {
  Napi::Array array = Napi::Array::New(env, dims.nbDims < 0 ? 0 : static_cast<size_t>(dims.nbDims));
  for (int32_t i = 0; i < dims.nbDims; ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(dims.d[i])));
  return array;
}

bool HasUnknownDims(const nvinfer1::Dims& dims) {
  for (int32_t i = 0; i < dims.nbDims; ++i) {
    if (dims.d[i] < 0) return true;
  }
  return dims.nbDims < 0;
}

int64_t Volume(const nvinfer1::Dims& dims) {
  int64_t count = 1;
  for (int32_t i = 0; i < dims.nbDims; ++i) count *= dims.d[i];
  return count;
}

}  // namespace trtn
