// The simulator's plugin registry: loadLibrary dlopens the library and requires one of the entry
// points TensorRT looks for (getCreators for IPluginCreatorInterface libraries, getPluginCreators
// for IPluginCreator ones), failing the way TensorRT does when it cannot.
#pragma once

#include <NvInfer.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace trtsim {

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
