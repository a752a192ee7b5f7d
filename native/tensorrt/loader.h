// Loads TensorRT at run time with dlopen so the addon always loads, with or without TensorRT,
// and can say exactly what is missing. TensorRT's C++ classes are header-inline forwarders over
// objects made by a few exported factories; those factories and the version getters are the
// only symbols resolved here, through plain function-pointer types (no TensorRT headers).
#pragma once

#include <cstdint>
#include <string>

namespace trtn {

struct TensorRTLibrary {
  // nvinfer: runtime + builder
  bool available = false;
  std::string path;        // the name or path that was loaded
  std::string reason;      // why it is not available (every dlopen/dlsym failure, joined)
  int32_t version = 0;     // getInferLibVersion(): major * 10000 + minor * 100 + patch
  void* (*create_infer_runtime)(void* logger, int32_t version) = nullptr;
  void* (*create_infer_builder)(void* logger, int32_t version) = nullptr;
  int32_t (*get_infer_lib_version)() = nullptr;

  // nvonnxparser
  bool parser_available = false;
  std::string parser_path;
  std::string parser_reason;
  int32_t parser_version = 0;
  void* (*create_onnx_parser)(void* network, void* logger, int32_t version) = nullptr;
  int32_t (*get_onnx_parser_version)() = nullptr;
};

// Loads once per process (later calls return the same result). Search order: the path in
// TENSORRT_NODE_NVINFER (TENSORRT_NODE_ONNXPARSER) if set, else libnvinfer.so.11 then .so.10;
// the parser prefers the major version of the nvinfer that was found. The simulator build looks
// for those names in the addon's own folder (build-sim/Release) instead of the system paths.
const TensorRTLibrary& LoadTensorRT();

}  // namespace trtn
