#include "plugin_registry.h"

#include "log.h"

#include <dlfcn.h>

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
    logError(logger_, ErrorKind::kInternal, where, std::string("could not load plugin library ") + pluginPath + ": " + (why ? why : "unknown error"));
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
