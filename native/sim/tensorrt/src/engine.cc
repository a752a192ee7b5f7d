#include "engine.h"

#include "builder.h"
#include "execution_context.h"
#include "library_version.h"
#include "plugin_registry.h"
#include "log.h"
#include "network.h"

#include <cstring>

namespace trtsim {

// Network inputs that give a Reshape its target shape: TensorRT builds them as shape tensors and
// places them on the host, as it does with network outputs that copy one (Identity).
static std::vector<bool> shapeTensorIo(const EngineDesc& desc) {
  std::vector<bool> host(desc.io.size(), false);
  for (size_t i = 0; i < desc.io.size(); ++i) {
    if (desc.io[i].mode != nvinfer1::TensorIOMode::kINPUT) continue;
    host[i] = isShapeInput(desc.graph, desc.io[i].tensor);
  }
  for (size_t o = 0; o < desc.io.size(); ++o) {
    if (desc.io[o].mode != nvinfer1::TensorIOMode::kOUTPUT) continue;
    for (const Node& node : desc.graph.nodes) {
      if (node.op != "Identity" || node.outputs[0] != desc.io[o].tensor) continue;
      for (size_t i = 0; i < desc.io.size(); ++i) {
        if (host[i] && desc.io[i].mode == nvinfer1::TensorIOMode::kINPUT && desc.io[i].tensor == node.inputs[0]) host[o] = true;
      }
    }
  }
  return host;
}

// Outputs that in-place layers (KVCacheUpdate) write into one of the network's inputs.
static std::vector<int> aliasedIo(const EngineDesc& desc) {
  std::vector<int> alias(desc.io.size(), -1);
  for (size_t o = 0; o < desc.io.size(); ++o) {
    if (desc.io[o].mode != nvinfer1::TensorIOMode::kOUTPUT) continue;
    for (const Node& node : desc.graph.nodes) {
      if (node.op != "KVCacheUpdate" || node.outputs[0] != desc.io[o].tensor) continue;
      for (size_t i = 0; i < desc.io.size(); ++i) {
        if (desc.io[i].mode == nvinfer1::TensorIOMode::kINPUT && desc.io[i].tensor == node.inputs[0]) alias[o] = static_cast<int>(i);
      }
    }
  }
  return alias;
}

int EngineShared::ioIndex(const char* name) const {
  if (!name) return -1;
  for (size_t i = 0; i < desc.io.size(); ++i) {
    if (desc.io[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Engine::Engine(std::shared_ptr<EngineShared> shared, std::shared_ptr<RuntimeShared> runtime)
    : shared_(std::move(shared)), runtime_(std::move(runtime)) {
  runtime_->liveEngines++;
}

Engine::~Engine() {
  int live = shared_->liveContexts.load();
  if (live > 0) {
    logError(shared_->logger, ErrorKind::kApiUsage, "ICudaEngine::~ICudaEngine",
             "Destroying an engine while " + std::to_string(live) + " of its execution contexts are still alive is not allowed.");
  }
  runtime_->liveEngines--;
}

const char* Engine::getIOTensorName(int32_t index) const noexcept {
  if (index < 0 || index >= getNbIOTensors()) return nullptr;
  return shared_->desc.io[static_cast<size_t>(index)].name.c_str();
}

nvinfer1::TensorIOMode Engine::getTensorIOMode(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  return i < 0 ? nvinfer1::TensorIOMode::kNONE : shared_->desc.io[static_cast<size_t>(i)].mode;
}

nvinfer1::DataType Engine::getTensorDataType(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  return i < 0 ? nvinfer1::DataType::kFLOAT : shared_->desc.io[static_cast<size_t>(i)].type;
}

nvinfer1::Dims Engine::getTensorShape(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  if (i < 0) {
    nvinfer1::Dims none{};
    none.nbDims = -1;
    return none;
  }
  return toDims(shared_->desc.io[static_cast<size_t>(i)].dims);
}

nvinfer1::TensorLocation Engine::getTensorLocation(const char* name) const noexcept {
  return shared_->onHost(shared_->ioIndex(name)) ? nvinfer1::TensorLocation::kHOST : nvinfer1::TensorLocation::kDEVICE;
}

const char* Engine::getAliasedInputTensor(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  if (i < 0 || shared_->aliasOf[static_cast<size_t>(i)] < 0) return nullptr;
  return shared_->desc.io[static_cast<size_t>(shared_->aliasOf[static_cast<size_t>(i)])].name.c_str();
}

const char* Engine::getTensorFormatDesc(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  if (i < 0) return nullptr;
  formatDesc_ = std::string("Row major linear ") + typeName(shared_->desc.io[static_cast<size_t>(i)].type) + " format (kLINEAR)";
  return formatDesc_.c_str();
}

int32_t Engine::getTensorBytesPerComponent(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  return i < 0 ? -1 : static_cast<int32_t>(elementSize(shared_->desc.io[static_cast<size_t>(i)].type));
}

int32_t Engine::getTensorComponentsPerElement(const char* name) const noexcept { return shared_->ioIndex(name) < 0 ? -1 : 1; }

nvinfer1::Dims Engine::getProfileShape(const char* name, int32_t profile, nvinfer1::OptProfileSelector select) const noexcept {
  nvinfer1::Dims none{};
  none.nbDims = -1;
  int i = shared_->ioIndex(name);
  if (i < 0 || profile < 0 || profile >= getNbOptimizationProfiles() ||
      shared_->desc.io[static_cast<size_t>(i)].mode != nvinfer1::TensorIOMode::kINPUT) {
    logError(shared_->logger, ErrorKind::kApiUsage, "ICudaEngine::getProfileShape",
             std::string("no input named ") + (name ? name : "(null)") + " in profile " + std::to_string(profile));
    return none;
  }
  const ProfileRanges& ranges = shared_->desc.profiles[static_cast<size_t>(profile)];
  const auto& dims = select == nvinfer1::OptProfileSelector::kMIN   ? ranges.min
                     : select == nvinfer1::OptProfileSelector::kOPT ? ranges.opt
                                                                    : ranges.max;
  return toDims(dims[static_cast<size_t>(i)]);
}

int64_t Engine::getDeviceMemorySizeV2() const noexcept {
  int64_t most = 0;
  for (int64_t m : shared_->desc.deviceMemory) most = std::max(most, m);
  return most;
}

int64_t Engine::getDeviceMemorySizeForProfileV2(int32_t profile) const noexcept {
  if (profile < 0 || profile >= getNbOptimizationProfiles()) return -1;
  return shared_->desc.deviceMemory[static_cast<size_t>(profile)];
}

nvinfer1::IExecutionContext* Engine::createExecutionContext(nvinfer1::ExecutionContextAllocationStrategy strategy) noexcept {
  try {
    auto* context = new ExecutionContext(*this, shared_, strategy);
    if (!context->allocateStatic()) {
      delete context;
      return nullptr;
    }
    return context;
  } catch (const std::exception& e) {
    logError(shared_->logger, ErrorKind::kInternal, "ICudaEngine::createExecutionContext", e.what());
    return nullptr;
  }
}

nvinfer1::IHostMemory* Engine::serialize() const noexcept {
  try {
    return new HostMemory(writePlan(shared_->desc));
  } catch (const std::exception& e) {
    logError(shared_->logger, ErrorKind::kInternal, "ICudaEngine::serialize", e.what());
    return nullptr;
  }
}

Runtime::~Runtime() {
  int live = shared_->liveEngines.load();
  if (live > 0) {
    logError(logger_, ErrorKind::kApiUsage, "IRuntime::~IRuntime",
             "Destroying a runtime while " + std::to_string(live) + " of its engines are still alive is not allowed.");
  }
}

nvinfer1::ICudaEngine* Runtime::deserializeCudaEngine(const void* blob, std::size_t size) noexcept {
  const char* where = "IRuntime::deserializeCudaEngine";
  try {
    PlanHeader header;
    PlanProblem problem = readPlanHeader(blob, size, header);
    std::string detail;
    auto failed = [&](ErrorKind kind, const std::string& text) -> nvinfer1::ICudaEngine* {
      logError(logger_, kind, where, text);
      logError(logger_, ErrorKind::kInternal, where, "Engine deserialization failed.");
      return nullptr;
    };
    if (problem == PlanProblem::kTooSmall) {
      return failed(ErrorKind::kSerialization, "Serialization assertion size >= kPLAN_HEADER_SIZE failed. The blob holds " +
                                                   std::to_string(size) + " bytes, too few for a plan");
    }
    if (problem == PlanProblem::kBadMagic)
      return failed(ErrorKind::kSerialization, "Serialization assertion magicTagRead == kMAGIC_TAG failed. Magic tag does not match");
    if (problem == PlanProblem::kSerializationVersion) {
      return failed(
          ErrorKind::kSerialization,
          "Serialization assertion stdVersionRead == kSERIALIZATION_VERSION failed. Version tag does not match. Note: Current Version: " +
              std::to_string(kSerializationVersion) + ", Serialized Engine Version: " + std::to_string(header.serializationVersion));
    }
    const LibraryVersion& library = libraryVersion();
    const uint8_t* v = header.version;
    // Plans hold the full release, build number included, and run only on that release...
    bool sameVersion = v[0] == library.major && v[1] == library.minor && v[2] == library.patch && v[3] == library.build;
    bool hostCode = (header.flags & kPlanFlagHostCode) != 0;
    std::string planVersion = std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]) + "." + std::to_string(v[3]);
    // ...except version-compatible plans (with an embedded lean runtime), which run on the same or a newer library of their major version.
    bool compatible =
        sameVersion ||
        (hostCode && v[0] == library.major &&
         (v[1] < library.minor || (v[1] == library.minor && (v[2] < library.patch || (v[2] == library.patch && v[3] <= library.build)))));
    if (!compatible) {
      return failed(ErrorKind::kSerialization,
                    "The engine plan file is not compatible with this version of TensorRT, expecting library version " + library.text() +
                        " got " + planVersion + ", please rebuild.");
    }
    if (problem == PlanProblem::kMalformed)
      return failed(ErrorKind::kSerialization,
                    "Serialization assertion plan format failed. Unknown plan format " + std::to_string(header.formatVersion));
    uint8_t device[2] = {0, 0};
    if (currentComputeCapability(device) && (device[0] != header.compute[0] || device[1] != header.compute[1])) {
      return failed(ErrorKind::kSerialization, "The engine plan file is generated on an incompatible device, expecting compute " +
                                                   std::to_string(device[0]) + "." + std::to_string(device[1]) + " got compute " +
                                                   std::to_string(header.compute[0]) + "." + std::to_string(header.compute[1]) +
                                                   ", please rebuild.");
    }
    if (hostCode && !hostCodeAllowed_) {
      return failed(ErrorKind::kSerialization,
                    "The engine plan embeds host code (a version-compatible engine); deserializing it requires "
                    "IRuntime::setEngineHostCodeAllowed(true).");
    }
    EngineDesc desc;
    problem = readPlanPayload(blob, size, header, desc, detail);
    if (problem == PlanProblem::kTruncated) return failed(ErrorKind::kSerialization, "Serialization assertion plan size failed. " + detail);
    if (problem == PlanProblem::kChecksum)
      return failed(ErrorKind::kSerialization, "Serialization assertion checksum failed. The plan is corrupted (" + detail + ")");
    if (problem != PlanProblem::kNone)
      return failed(ErrorKind::kSerialization, "Serialization assertion failed while reading the engine: " + detail);
    // Plugin layers are rebuilt through their creators, which must be registered by now.
    for (const Node& node : desc.graph.nodes) {
      const Attribute* version = node.attr(kPluginVersionAttr);
      if (version == nullptr) continue;
      const TrtsimPlugin* plugin = findPlugin(node.op);
      if (plugin == nullptr || version->s != plugin->version) {
        const Attribute* space = node.attr(kPluginNamespaceAttr);
        logError(
            logger_, ErrorKind::kInternal, "IPluginRegistry::getCreator",
            "getPluginCreator could not find plugin: " + node.op + " version: " + version->s + " namespace: " + (space ? space->s : ""));
        return failed(ErrorKind::kSerialization,
                      "Serialization assertion creator failed. Cannot deserialize plugin since corresponding IPluginCreator not found in "
                      "Plugin Registry");
      }
    }

    auto shared = std::make_shared<EngineShared>();
    shared->desc = std::move(desc);
    shared->logger = logger_;
    shared->constants.resize(shared->desc.graph.tensors.size());
    for (size_t t = 0; t < shared->desc.graph.tensors.size(); ++t) {
      const TensorInfo& info = shared->desc.graph.tensors[t];
      if (info.constant) shared->constants[t] = decode(info.type, info.dims, info.bytes.data());
    }
    shared->hostIo = shapeTensorIo(shared->desc);
    shared->aliasOf = aliasedIo(shared->desc);
    if (cudaGetDevice(&shared->device) != cudaSuccess) {
      cudaGetLastError();
      return failed(ErrorKind::kInternal, "Cuda Runtime (no current device)");
    }
    logMessage(logger_, Severity::kINFO, "Loaded engine of " + std::to_string(size) + " bytes built by TensorRT " + planVersion);
    return new Engine(std::move(shared), shared_);
  } catch (const std::exception& e) {
    logError(logger_, ErrorKind::kInternal, where, e.what());
    return nullptr;
  }
}

}  // namespace trtsim
