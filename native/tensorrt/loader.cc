#include "tensorrt/loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#ifndef TRTN_TENSORRT_HEADERS_MAJOR
#define TRTN_TENSORRT_HEADERS_MAJOR 0  // built without TensorRT headers: no preference
#endif

namespace trtn {
namespace {

std::string LastDlError() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown dlopen error";
}

// Tries each candidate in order; returns the handle of the first that opens, and the reasons
// of every failure in `reason`.
void* OpenFirst(const std::vector<std::string>& candidates, std::string* loaded, std::string* reason) {
  for (const auto& name : candidates) {
    dlerror();
    // RTLD_LOCAL keeps TensorRT's symbols from interposing on anything else in the process.
    void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
      *loaded = name;
      return handle;
    }
    if (!reason->empty()) *reason += "; ";
    *reason += LastDlError();
  }
  return nullptr;
}

template <typename Fn>
bool Resolve(void* handle, const char* symbol, Fn* out, std::string* reason) {
  dlerror();
  void* address = dlsym(handle, symbol);
  if (address == nullptr) {
    if (!reason->empty()) *reason += "; ";
    *reason += std::string("missing symbol ") + symbol + ": " + LastDlError();
    return false;
  }
  *out = reinterpret_cast<Fn>(address);
  return true;
}

#ifdef TRTN_SIMULATOR
// The simulator build looks next to the addon first, where the simulated TensorRT library is
// built (build-sim/Release), so the sim addon never picks up a real TensorRT by accident.
std::string AddonDirectory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&LastDlError), &info) == 0 || info.dli_fname == nullptr) return "";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}
#endif

std::vector<std::string> Candidates(const char* override_env, const char* stem, int preferred_major) {
  if (const char* path = std::getenv(override_env); path != nullptr && *path != '\0') return {path};
  std::vector<std::string> names{std::string(stem) + ".so.11", std::string(stem) + ".so.10"};
  if (preferred_major == 10) std::swap(names[0], names[1]);
#ifdef TRTN_SIMULATOR
  std::string dir = AddonDirectory();
  for (auto& name : names) name = dir + name;
#endif
  return names;
}

TensorRTLibrary Load() {
  TensorRTLibrary lib;
  // The runtime classes were compiled against one major version's headers (their layout differs
  // between majors): look for that major first, so a machine with both 10 and 11 gets the usable one.
  void* nvinfer = OpenFirst(Candidates("TENSORRT_NODE_NVINFER", "libnvinfer", TRTN_TENSORRT_HEADERS_MAJOR), &lib.path, &lib.reason);
  if (nvinfer != nullptr) {
    bool ok = Resolve(nvinfer, "getInferLibVersion", &lib.get_infer_lib_version, &lib.reason);
    ok = Resolve(nvinfer, "createInferRuntime_INTERNAL", &lib.create_infer_runtime, &lib.reason) && ok;
    ok = Resolve(nvinfer, "createInferBuilder_INTERNAL", &lib.create_infer_builder, &lib.reason) && ok;
    if (lib.get_infer_lib_version != nullptr) lib.version = lib.get_infer_lib_version();
    lib.available = ok;
    if (ok) lib.reason.clear();
  }

  int major = lib.version / 10000;
  void* parser =
      OpenFirst(Candidates("TENSORRT_NODE_ONNXPARSER", "libnvonnxparser", major), &lib.parser_path, &lib.parser_reason);
  if (parser != nullptr) {
    bool ok = Resolve(parser, "getNvOnnxParserVersion", &lib.get_onnx_parser_version, &lib.parser_reason);
    ok = Resolve(parser, "createNvOnnxParser_INTERNAL", &lib.create_onnx_parser, &lib.parser_reason) && ok;
    if (lib.get_onnx_parser_version != nullptr) lib.parser_version = lib.get_onnx_parser_version();
    lib.parser_available = ok;
    if (ok) lib.parser_reason.clear();
  }
  // Handles stay open for the life of the process: TensorRT objects may live until exit.
  return lib;
}

}  // namespace

const TensorRTLibrary& LoadTensorRT() {
  static std::once_flag once;
  static TensorRTLibrary* library = nullptr;
  std::call_once(once, [] { library = new TensorRTLibrary(Load()); });
  return *library;
}

}  // namespace trtn
