// libnvinfer_plugin of the simulator: like TensorRT's, it registers its plugins with libnvinfer's
// plugin registry when the application calls initLibNvInferPlugins, and not before, so plans and
// ONNX models that use them fail until the application has made that call.
#include <NvInferRuntime.h>

#include "../src/plugin_registry.h"

#include <string>

extern "C" bool trtsimRegisterPlugin(const TrtsimPlugin* plugin, const char* libNamespace) noexcept;

namespace {

double leakyRelu(double x, double alpha) { return x >= 0 ? x : alpha * x; }

const TrtsimPlugin kPlugins[] = {
    {"SimLeakyRelu_TRT", "1", "alpha", 0.01, &leakyRelu},
};

}  // namespace

extern "C" TENSORRTAPI bool initLibNvInferPlugins(void* logger, const char* libNamespace) {
  auto* log = static_cast<nvinfer1::ILogger*>(logger);
  std::string space = libNamespace ? libNamespace : "";
  for (const TrtsimPlugin& plugin : kPlugins) {
    if (!trtsimRegisterPlugin(&plugin, space.c_str())) continue;  // already registered
    if (log) {
      std::string line = std::string("Registered plugin creator - ") + space + "::" + plugin.name + " version " + plugin.version;
      log->log(nvinfer1::ILogger::Severity::kVERBOSE, line.c_str());
    }
  }
  return true;
}
