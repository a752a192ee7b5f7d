// The library's C entry points, the same ones real TensorRT exports and tensorrt-node resolves
// with dlsym.
#include "builder.h"
#include "engine.h"
#include "library_version.h"
#include "log.h"
#include "network.h"
#include "onnx_parser.h"

#include <NvOnnxParser.h>

namespace {
bool sameMajor(int32_t version) { return version / 10000 == trtsim::libraryVersion().major; }
}  // namespace

extern "C" TENSORRTAPI int32_t getInferLibVersion() noexcept { return trtsim::libraryVersion().packed(); }
extern "C" TENSORRTAPI int32_t getInferLibMajorVersion() noexcept { return trtsim::libraryVersion().major; }
extern "C" TENSORRTAPI int32_t getInferLibMinorVersion() noexcept { return trtsim::libraryVersion().minor; }
extern "C" TENSORRTAPI int32_t getInferLibPatchVersion() noexcept { return trtsim::libraryVersion().patch; }
extern "C" TENSORRTAPI int32_t getInferLibBuildVersion() noexcept { return trtsim::libraryVersion().build; }

namespace {
// Called by both runtime entry points; a call through the exported name could be bound to the
// lean runtime's own export (it comes first in the lean library's lookup scope).
void* createRuntime(void* logger, int32_t version) noexcept {
  auto* log = static_cast<nvinfer1::ILogger*>(logger);
  if (!sameMajor(version)) {
    trtsim::logError(log, trtsim::ErrorKind::kApiUsage, "createInferRuntime",
                     "application was compiled against TensorRT API version " + std::to_string(version) + " but the library is " +
                         std::to_string(trtsim::libraryVersion().packed()));
    return nullptr;
  }
  return static_cast<nvinfer1::IRuntime*>(new (std::nothrow) trtsim::Runtime(log));
}
}  // namespace

extern "C" TENSORRTAPI void* createInferRuntime_INTERNAL(void* logger, int32_t version) noexcept { return createRuntime(logger, version); }

extern "C" TENSORRTAPI void* createInferBuilder_INTERNAL(void* logger, int32_t version) noexcept {
  auto* log = static_cast<nvinfer1::ILogger*>(logger);
  if (!sameMajor(version)) {
    trtsim::logError(log, trtsim::ErrorKind::kApiUsage, "createInferBuilder",
                     "application was compiled against TensorRT API version " + std::to_string(version) + " but the library is " +
                         std::to_string(trtsim::libraryVersion().packed()));
    return nullptr;
  }
  return static_cast<nvinfer1::IBuilder*>(new (std::nothrow) trtsim::Builder(log));
}

// The ONNX parser library (libnvonnxparser) reaches the parser through this entry point, so the
// network's concrete type is only ever inspected inside this library.
extern "C" TENSORRTAPI void* trtsimCreateOnnxParser(void* network, void* logger) noexcept {
  auto* net = dynamic_cast<trtsim::Network*>(static_cast<nvinfer1::INetworkDefinition*>(network));
  auto* log = static_cast<nvinfer1::ILogger*>(logger);
  if (!net) {
    trtsim::logError(log, trtsim::ErrorKind::kApiUsage, "createParser", "the network was not created by this library's builder");
    return nullptr;
  }
  return static_cast<nvonnxparser::IParser*>(new (std::nothrow) trtsim::OnnxParser(*net, log));
}

// The simulated lean runtime (libnvinfer_lean) forwards here: the same runtime, without a builder.
extern "C" TENSORRTAPI void* trtsimCreateRuntime(void* logger, int32_t version) noexcept { return createRuntime(logger, version); }
extern "C" TENSORRTAPI int32_t trtsimLibraryVersion() noexcept { return trtsim::libraryVersion().packed(); }
