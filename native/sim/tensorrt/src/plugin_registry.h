// The simulator's plugin registry. Real TensorRT keeps plugin creators in a process-wide registry
// that plugin libraries fill (libnvinfer_plugin's initLibNvInferPlugins registers the standard
// ones); the ONNX parser imports an op it has no importer for as a plugin found there, and
// deserializing a plan with plugin layers needs each layer's creator registered first. The
// simulated plugins are element-wise float functions with one float attribute, registered through
// trtsimRegisterPlugin (the simulated libnvinfer_plugin calls it). PluginRegistry::loadLibrary dlopens a
// plugin library and requires one of the entry points TensorRT looks for (getCreators for
// IPluginCreatorInterface libraries, getPluginCreators for IPluginCreator ones), failing as TensorRT does.
#pragma once

#include <NvInfer.h>

#include "graph.h"
#include "value.h"

#include <map>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
struct TrtsimPlugin {
  const char* name;       // the op type, e.g. "SimLeakyRelu_TRT"
  const char* version;    // e.g. "1"
  const char* attribute;  // the one float attribute's name
  double attributeDefault;
  double (*apply)(double x, double attribute);  // the "kernel"
};
}

namespace trtsim {

// Node attributes the parser records on a plugin layer, checked again at deserialization.
constexpr const char* kPluginVersionAttr = "plugin_version";
constexpr const char* kPluginNamespaceAttr = "plugin_namespace";

// The creator registered under `name` (any namespace), or nullptr.
const TrtsimPlugin* findPlugin(const std::string& name);
// Registered namespace of `name` ("" when none).
std::string pluginNamespace(const std::string& name);

// A plugin layer's rules, as ops.h gives them for built-in layers: one float input, an output of
// its type and shape, the plugin's function applied to each element.
bool pluginInferTypes(const Graph& graph, const Node& node, std::vector<DataType>& outTypes, std::string& error);
void runPlugin(const TrtsimPlugin& plugin, const Node& node, const Value& x, Value& out);

class PluginRegistry final : public nvinfer1::IPluginRegistry {
 public:
  static PluginRegistry& instance();
  PluginLibraryHandle loadLibrary(const char* pluginPath) noexcept override;
  void deregisterLibrary(PluginLibraryHandle handle) noexcept override;
  void setLogger(nvinfer1::ILogger* logger) { logger_ = logger; }
  // Paths of the libraries loaded and not deregistered (builds record them in the plan).
  std::vector<std::string> loaded();

 private:
  PluginRegistry() = default;
  nvinfer1::ILogger* logger_ = nullptr;
  std::mutex mutex_;
  std::map<void*, std::string> libraries_;
};

}  // namespace trtsim
