#include "plugin_registry.h"

#include <NvInferRuntimeBase.h>

#include <map>
#include <mutex>

namespace trtsim {
namespace {

struct Entry {
  TrtsimPlugin plugin;
  std::string nameSpace;
};

std::mutex& registryMutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> entries;
  return entries;
}

}  // namespace

const TrtsimPlugin* findPlugin(const std::string& name) {
  std::lock_guard<std::mutex> lock(registryMutex());
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second.plugin;
}

std::string pluginNamespace(const std::string& name) {
  std::lock_guard<std::mutex> lock(registryMutex());
  auto it = registry().find(name);
  return it == registry().end() ? "" : it->second.nameSpace;
}

bool pluginInferTypes(const Graph& graph, const Node& node, std::vector<DataType>& outTypes, std::string& error) {
  if (node.inputs.size() != 1 || node.inputs[0] < 0 || node.outputs.size() != 1) {
    error = node.op + " takes one input and gives one output";
    return false;
  }
  DataType type = graph.tensors[static_cast<size_t>(node.inputs[0])].type;
  if (!isFloatType(type)) {
    error = node.op + " needs a floating-point input";
    return false;
  }
  outTypes = {type};
  return true;
}

void runPlugin(const TrtsimPlugin& plugin, const Node& node, const Value& x, Value& out) {
  double attribute = node.floatAttr(plugin.attribute, plugin.attributeDefault);
  out.type = x.type;
  out.dims = x.dims;
  out.data.resize(x.data.size());
  for (size_t i = 0; i < x.data.size(); ++i) out.data[i] = narrow(x.type, plugin.apply(x.data[i], attribute));
}

}  // namespace trtsim

// Registering a name twice keeps the first creator, as TensorRT's registry refuses duplicates.
extern "C" TENSORRTAPI bool trtsimRegisterPlugin(const TrtsimPlugin* plugin, const char* libNamespace) noexcept {
  if (plugin == nullptr || plugin->name == nullptr || plugin->version == nullptr || plugin->apply == nullptr) return false;
  std::lock_guard<std::mutex> lock(trtsim::registryMutex());
  return trtsim::registry().emplace(plugin->name, trtsim::Entry{*plugin, libNamespace ? libNamespace : ""}).second;
}
