#include "graph.h"

namespace trtsim {

size_t elementSize(DataType type) {
  switch (type) {
    case DataType::kFLOAT:
    case DataType::kINT32:
      return 4;
    case DataType::kHALF:
    case DataType::kBF16:
      return 2;
    case DataType::kINT8:
    case DataType::kUINT8:
    case DataType::kBOOL:
    case DataType::kFP8:
      return 1;
    case DataType::kINT64:
      return 8;
    default:
      return 1;
  }
}

const char* typeName(DataType type) {
  switch (type) {
    case DataType::kFLOAT:
      return "FP32";
    case DataType::kHALF:
      return "FP16";
    case DataType::kINT8:
      return "INT8";
    case DataType::kINT32:
      return "INT32";
    case DataType::kBOOL:
      return "BOOL";
    case DataType::kUINT8:
      return "UINT8";
    case DataType::kFP8:
      return "FP8";
    case DataType::kBF16:
      return "BF16";
    case DataType::kINT64:
      return "INT64";
    case DataType::kINT4:
      return "INT4";
    case DataType::kFP4:
      return "FP4";
    default:
      return "UNKNOWN";
  }
}

int64_t volume(const Shape& dims) {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    count *= d;
  }
  return count;
}

std::string formatShape(const Shape& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) text += ",";
    text += std::to_string(dims[i]);
  }
  return text + "]";
}

nvinfer1::Dims toDims(const Shape& shape) {
  nvinfer1::Dims dims{};
  dims.nbDims = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size() && i < static_cast<size_t>(nvinfer1::Dims::MAX_DIMS); ++i) dims.d[i] = shape[i];
  return dims;
}

Shape fromDims(const nvinfer1::Dims& dims) {
  Shape shape;
  for (int32_t i = 0; i < dims.nbDims && i < nvinfer1::Dims::MAX_DIMS; ++i) shape.push_back(dims.d[i]);
  return shape;
}

}  // namespace trtsim
