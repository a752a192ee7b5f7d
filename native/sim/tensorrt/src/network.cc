#include "network.h"

#include "ops.h"

#include <algorithm>

namespace trtsim {

void NetworkTensor::setName(const char* name) noexcept { network_.graph().tensors[static_cast<size_t>(index_)].name = name ? name : ""; }
const char* NetworkTensor::getName() const noexcept { return network_.graph().tensors[static_cast<size_t>(index_)].name.c_str(); }
void NetworkTensor::setDimensions(const nvinfer1::Dims& dims) noexcept {
  network_.graph().tensors[static_cast<size_t>(index_)].dims = fromDims(dims);
}
nvinfer1::Dims NetworkTensor::getDimensions() const noexcept { return toDims(network_.graph().tensors[static_cast<size_t>(index_)].dims); }
nvinfer1::DataType NetworkTensor::getType() const noexcept { return network_.graph().tensors[static_cast<size_t>(index_)].type; }
bool NetworkTensor::isNetworkInput() const noexcept {
  const auto& in = network_.graph().inputs;
  return std::find(in.begin(), in.end(), index_) != in.end();
}
bool NetworkTensor::isShapeTensor() const noexcept { return isShapeInput(network_.graph(), index_); }

bool isShapeInput(const Graph& graph, int tensor) {
  if (std::find(graph.inputs.begin(), graph.inputs.end(), tensor) == graph.inputs.end()) return false;
  return std::any_of(graph.nodes.begin(), graph.nodes.end(),
                     [&](const Node& node) { return node.op == "Reshape" && node.inputs.size() > 1 && node.inputs[1] == tensor; });
}

bool NetworkTensor::isNetworkOutput() const noexcept {
  const auto& out = network_.graph().outputs;
  return std::find(out.begin(), out.end(), index_) != out.end();
}

NetworkTensor* Network::handle(int index) const {
  for (const auto& h : handles_) {
    if (h->index() == index) return h.get();
  }
  handles_.push_back(std::make_unique<NetworkTensor>(const_cast<Network&>(*this), index));
  return handles_.back().get();
}

nvinfer1::ITensor* Network::getInput(int32_t index) const noexcept {
  if (index < 0 || index >= getNbInputs()) return nullptr;
  return handle(graph_.inputs[static_cast<size_t>(index)]);
}

nvinfer1::ITensor* Network::getOutput(int32_t index) const noexcept {
  if (index < 0 || index >= getNbOutputs()) return nullptr;
  return handle(graph_.outputs[static_cast<size_t>(index)]);
}

void Network::markOutput(nvinfer1::ITensor& tensor) noexcept {
  int index = static_cast<NetworkTensor&>(tensor).index();
  if (std::find(graph_.outputs.begin(), graph_.outputs.end(), index) == graph_.outputs.end()) graph_.outputs.push_back(index);
}

void Network::unmarkOutput(nvinfer1::ITensor& tensor) noexcept {
  int index = static_cast<NetworkTensor&>(tensor).index();
  graph_.outputs.erase(std::remove(graph_.outputs.begin(), graph_.outputs.end(), index), graph_.outputs.end());
}

void Network::adopt(Graph graph) {
  graph_ = std::move(graph);
  handles_.clear();
  parsed_ = true;
}

bool propagate(Graph& graph, std::string& error, int& failedNode) {
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    failedNode = static_cast<int>(n);
    std::vector<DataType> types;
    if (!inferTypes(graph, node, types, error)) return false;
    std::vector<Shape> inShapes;
    for (int in : node.inputs) inShapes.push_back(in >= 0 ? graph.tensors[static_cast<size_t>(in)].dims : Shape{});
    std::vector<Shape> outShapes;
    if (!inferShapes(graph, node, inShapes, outShapes, error)) return false;
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      TensorInfo& t = graph.tensors[static_cast<size_t>(node.outputs[o])];
      t.type = types[o];
      t.dims = outShapes[o];
    }
  }
  failedNode = -1;
  return true;
}

}  // namespace trtsim
