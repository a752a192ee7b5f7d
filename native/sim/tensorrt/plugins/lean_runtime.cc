// libnvinfer_lean of the simulator: a runtime library without the builder, as TensorRT's lean and
// dispatch runtimes are. It exports the version getter and the runtime factory only. The runtime
// itself is the simulated libnvinfer's, opened privately at first use (not linked), so the
// builder's entry point is not reachable through this library's handle, as with the real one.
#include <dlfcn.h>

#include <cstdint>

#include <mutex>
#include <string>

namespace {

struct Forward {
  void* (*createRuntime)(void*, int32_t) = nullptr;
  int32_t (*libraryVersion)() = nullptr;
};

const Forward& forward() {
  static Forward f;
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info self{};
    if (dladdr(reinterpret_cast<void*>(&forward), &self) == 0 || self.dli_fname == nullptr) return;
    std::string path = self.dli_fname;
    path = path.substr(0, path.rfind('/') + 1) + "libnvinfer.so.11";
    void* nvinfer = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (nvinfer == nullptr) return;
    f.createRuntime = reinterpret_cast<void* (*)(void*, int32_t)>(dlsym(nvinfer, "trtsimCreateRuntime"));
    f.libraryVersion = reinterpret_cast<int32_t (*)()>(dlsym(nvinfer, "trtsimLibraryVersion"));
  });
  return f;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int32_t getInferLibVersion() noexcept {
  return forward().libraryVersion ? forward().libraryVersion() : 0;
}

extern "C" __attribute__((visibility("default"))) void* createInferRuntime_INTERNAL(void* logger, int32_t version) noexcept {
  return forward().createRuntime ? forward().createRuntime(logger, version) : nullptr;
}
