// The simulator's INetworkDefinition: a Graph plus ITensor handles for its inputs and outputs.
#pragma once

#include "graph.h"

#include <NvInfer.h>

#include <memory>
#include <string>
#include <vector>

namespace trtsim {

class Network;

class NetworkTensor final : public nvinfer1::ITensor {
 public:
  NetworkTensor(Network& network, int index) : network_(network), index_(index) {}
  void setName(const char* name) noexcept override;
  const char* getName() const noexcept override;
  void setDimensions(const nvinfer1::Dims& dims) noexcept override;
  nvinfer1::Dims getDimensions() const noexcept override;
  nvinfer1::DataType getType() const noexcept override;
  bool isNetworkInput() const noexcept override;
  bool isNetworkOutput() const noexcept override;
  bool isShapeTensor() const noexcept override;
  bool isExecutionTensor() const noexcept override { return true; }
  int index() const { return index_; }

 private:
  Network& network_;
  int index_;
};

class Network final : public nvinfer1::INetworkDefinition {
 public:
  Network(nvinfer1::IBuilder& builder, nvinfer1::NetworkDefinitionCreationFlags flags) : builder_(builder), flags_(flags) {}

  int32_t getNbInputs() const noexcept override { return static_cast<int32_t>(graph_.inputs.size()); }
  nvinfer1::ITensor* getInput(int32_t index) const noexcept override;
  int32_t getNbOutputs() const noexcept override { return static_cast<int32_t>(graph_.outputs.size()); }
  nvinfer1::ITensor* getOutput(int32_t index) const noexcept override;
  int32_t getNbLayers() const noexcept override { return static_cast<int32_t>(graph_.nodes.size()); }
  void markOutput(nvinfer1::ITensor& tensor) noexcept override;
  void unmarkOutput(nvinfer1::ITensor& tensor) noexcept override;
  void setName(const char* name) noexcept override { graph_.name = name ? name : ""; }
  const char* getName() const noexcept override { return graph_.name.c_str(); }
  nvinfer1::NetworkDefinitionCreationFlags getFlags() const noexcept override { return flags_; }
  bool getFlag(nvinfer1::NetworkDefinitionCreationFlag flag) const noexcept override {
    return (flags_ & (1U << static_cast<uint32_t>(flag))) != 0;
  }
  nvinfer1::IBuilder& getBuilder() const noexcept override { return builder_; }

  Graph& graph() { return graph_; }
  const Graph& graph() const { return graph_; }
  // Replaces the graph (the parser calls this once it has read a whole model).
  void adopt(Graph graph);
  bool parsed() const { return parsed_; }

 private:
  NetworkTensor* handle(int index) const;

  nvinfer1::IBuilder& builder_;
  nvinfer1::NetworkDefinitionCreationFlags flags_;
  Graph graph_;
  bool parsed_ = false;
  mutable std::vector<std::unique_ptr<NetworkTensor>> handles_;
};

// A network input whose values decide a shape (a Reshape's target shape): TensorRT makes it a shape
// tensor, keeps it on the host, and needs the range of its values in every optimization profile.
bool isShapeInput(const Graph& graph, int tensor);

// Fills every tensor's type and shape (-1 where only known at run time) from the inputs';
// false with the node and reason on the first inconsistency.
bool propagate(Graph& graph, std::string& error, int& failedNode);

}  // namespace trtsim
