#include "plugin_registry.h"

#include "log.h"

#include <NvInferRuntimeBase.h>
#include <dlfcn.h>

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

namespace trtsim {

PluginRegistry& PluginRegistry::instance() {
  static PluginRegistry* registry = new PluginRegistry();  // lives as long as the process, as TensorRT's does
  return *registry;
}

nvinfer1::IPluginRegistry::PluginLibraryHandle PluginRegistry::loadLibrary(const char* pluginPath) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  const char* where = "IPluginRegistry::loadLibrary";
  if (!pluginPath || !*pluginPath) {
    logError(logger_, ErrorKind::kApiUsage, where, "pluginPath is empty");
    return nullptr;
  }
  void* handle = dlopen(pluginPath, RTLD_LAZY | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    logError(logger_, ErrorKind::kInternal, where,
             std::string("could not load plugin library ") + pluginPath + ": " + (why ? why : "unknown error"));
    return nullptr;
  }
  if (!dlsym(handle, "getCreators") && !dlsym(handle, "getPluginCreators")) {
    dlclose(handle);
    logError(logger_, ErrorKind::kInternal, where,
             std::string(pluginPath) + " is not a plugin library: it exports neither getCreators nor getPluginCreators");
    return nullptr;
  }
  libraries_[handle] = pluginPath;
  return handle;
}

std::vector<std::string> PluginRegistry::loaded() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> paths;
  for (const auto& entry : libraries_) paths.push_back(entry.second);
  return paths;
}

void PluginRegistry::deregisterLibrary(PluginLibraryHandle handle) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = libraries_.find(handle);
  if (it == libraries_.end()) return;
  libraries_.erase(it);
  dlclose(handle);
}

}  // namespace trtsim

// Registering a name twice keeps the first creator, as TensorRT's registry refuses duplicates.
extern "C" TENSORRTAPI bool trtsimRegisterPlugin(const TrtsimPlugin* plugin, const char* libNamespace) noexcept {
  if (plugin == nullptr || plugin->name == nullptr || plugin->version == nullptr || plugin->apply == nullptr) return false;
  std::lock_guard<std::mutex> lock(trtsim::registryMutex());
  return trtsim::registry().emplace(plugin->name, trtsim::Entry{*plugin, libNamespace ? libNamespace : ""}).second;
}
