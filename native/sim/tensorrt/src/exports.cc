// The library's C entry points, the same ones real TensorRT exports and tensorrt-node resolves
// with dlsym.
#include "builder.h"
#include "engine.h"
#include "library_version.h"
#include "log.h"
#include "network.h"
#include "onnx_parser.h"

#include <NvOnnxParser.h>

#include <cstring>
#include <string>

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

// The simulator's own entry point (no TensorRT counterpart) for tests: what a plan records about
// its build, as JSON, written into `out` (NUL-terminated when it fits). Returns the JSON's length,
// or 0 when the bytes are not a readable simulator plan.
extern "C" TENSORRTAPI size_t trtsimDescribePlan(const void* plan, size_t size, char* out, size_t capacity) noexcept {
  try {
    trtsim::PlanHeader header;
    trtsim::EngineDesc engine;
    std::string detail;
    if (trtsim::readPlanHeader(plan, size, header) != trtsim::PlanProblem::kNone) return 0;
    if (trtsim::readPlanPayload(plan, size, header, engine, detail) != trtsim::PlanProblem::kNone) return 0;
    const trtsim::BuildRecord& b = engine.build;
    auto quote = [](const std::string& s) {
      std::string q = "\"";
      for (char c : s) {
        if (c == '"' || c == '\\') q += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        q += c;
      }
      return q + "\"";
    };
    std::string json =
        "{\"flags\":" + std::to_string(b.flags) + ",\"workspace\":" + std::to_string(b.workspace) +
        ",\"optimizationLevel\":" + std::to_string(b.optimizationLevel) +
        ",\"hardwareCompatibility\":" + std::to_string(b.hardwareCompatibility) + ",\"maxAuxStreams\":" + std::to_string(b.maxAuxStreams) +
        ",\"timingCacheHits\":" + std::to_string(b.timingCacheHits) + ",\"timingCacheMisses\":" + std::to_string(b.timingCacheMisses) +
        ",\"sparseLayers\":" + std::to_string(b.sparseLayers) + ",\"hostCode\":" + (engine.hostCode ? "true" : "false") + ",\"plugins\":[";
    for (size_t i = 0; i < b.plugins.size(); ++i) json += (i ? "," : "") + quote(b.plugins[i]);
    json += "]}";
    if (out && capacity > json.size()) std::memcpy(out, json.c_str(), json.size() + 1);
    return json.size();
  } catch (...) {
    return 0;
  }
}
