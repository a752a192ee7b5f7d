// The simulator's internal model of a network: what the ONNX parser produces, what the builder
// validates and serializes into a plan, and what the executor runs. Immutable once built.
#pragma once

#include <NvInfer.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trtsim {

using nvinfer1::DataType;
using Shape = std::vector<int64_t>;  // -1 marks a dimension known only at run time

struct Attribute {
  enum class Kind : uint8_t { kFloat, kInt, kString, kFloats, kInts, kTensor };
  Kind kind = Kind::kInt;
  double f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<double> floats;
  std::vector<int64_t> ints;
  int tensor = -1;  // index into Graph::tensors for tensor-valued attributes (Constant's value)
};

struct TensorInfo {
  std::string name;
  DataType type = DataType::kFLOAT;
  Shape dims;
  bool constant = false;
  std::vector<uint8_t> bytes;  // little-endian element bytes of a constant
};

struct Node {
  std::string op;
  std::string name;
  std::vector<int> inputs;  // tensor indices; -1 for an omitted optional input
  std::vector<int> outputs;
  std::map<std::string, Attribute> attrs;

  const Attribute* attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? nullptr : &it->second;
  }
  int64_t intAttr(const std::string& key, int64_t fallback) const {
    const Attribute* a = attr(key);
    return a ? a->i : fallback;
  }
  double floatAttr(const std::string& key, double fallback) const {
    const Attribute* a = attr(key);
    return a ? a->f : fallback;
  }
};

struct Graph {
  std::string name;
  int64_t opset = 13;
  std::vector<TensorInfo> tensors;
  std::vector<Node> nodes;
  std::vector<int> inputs;
  std::vector<int> outputs;

  int find(const std::string& tensorName) const {
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (tensors[i].name == tensorName) return static_cast<int>(i);
    }
    return -1;
  }
};

size_t elementSize(DataType type);
const char* typeName(DataType type);
int64_t volume(const Shape& dims);  // -1 when any dimension is unknown
std::string formatShape(const Shape& dims);
nvinfer1::Dims toDims(const Shape& shape);
Shape fromDims(const nvinfer1::Dims& dims);

}  // namespace trtsim
