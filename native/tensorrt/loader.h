// Loads TensorRT at run time with dlopen so the addon always loads, with or without TensorRT,
// and can say exactly what is missing and where it looked. TensorRT's C++ classes are
// header-inline forwarders over objects made by a few exported factories; those factories, the
// version getters and the plugin library's initLibNvInferPlugins are the only symbols resolved
// here, through plain function-pointer types (no TensorRT headers).
#pragma once

#include <cstdint>
#include <string>

namespace trtn {

struct TensorRTLibrary {
  // libnvinfer (or a lean/dispatch runtime named by TENSORRT_NODE_NVINFER): running plans.
  bool available = false;
  std::string path;     // the name or path that was loaded
  std::string reason;   // why it is not available: every failure, then every place looked in
  int32_t version = 0;  // getInferLibVersion(): major * 10000 + minor * 100 + patch
  int32_t build = -1;   // getInferLibBuildVersion(), -1 when the library does not say
  // Registers the standard plugins (once, with this first logger) before the first runtime.
  void* (*create_infer_runtime)(void* logger, int32_t version) = nullptr;

  // The builder: part of libnvinfer, absent from the lean and dispatch runtimes.
  bool builder_available = false;
  std::string builder_reason;
  // Registers the standard plugins first, like create_infer_runtime.
  void* (*create_infer_builder)(void* logger, int32_t version) = nullptr;

  // libnvonnxparser
  bool parser_available = false;
  std::string parser_path;
  std::string parser_reason;
  // The parser's release (from the library's file name; getNvOnnxParserVersion() only reports
  // the parser API's own 0.1.0), 0 when unknown.
  int32_t parser_version = 0;
  void* (*create_onnx_parser)(void* network, void* logger, int32_t version) = nullptr;

  // libnvinfer_plugin: the standard plugins (EfficientNMS_TRT and the like) plans may use.
  bool plugins_available = false;
  std::string plugins_path;
  std::string plugins_reason;

  // For errors about a plugin a plan needs: whether the plugin library was found and registered.
  std::string PluginState() const;
  // False once initLibNvInferPlugins was called and failed.
  bool PluginsUsable() const;
};

// Loads once per process (later calls return the same result). libnvinfer: the file or folder in
// TENSORRT_NODE_NVINFER if set; else libnvinfer.so.<headers' major>, then the other supported
// major, through the dynamic linker (LD_LIBRARY_PATH, ld.so.cache) and then in the folders
// TensorRT's .deb and tar packages install to. A library whose version does not fit the headers
// the addon was compiled against is passed over (with the reason). The parser
// (TENSORRT_NODE_ONNXPARSER) and the plugin library (TENSORRT_NODE_NVINFER_PLUGIN) are looked for
// next to libnvinfer first, with its major version. The simulator build looks only in the addon's
// own folder (build-sim/Release) instead of the system's.
const TensorRTLibrary& LoadTensorRT();

}  // namespace trtn
