// tensorrt-node TensorRT simulator: builder interfaces (network definition, builder config,
// builder, progress monitor). This project's own declarations of the subset tensorrt-node uses,
// with TensorRT 11's names, signatures and meaning. Networks are always strongly typed: element
// types come from the model, as in TensorRT 11.
#ifndef NV_INFER_H
#define NV_INFER_H

#include "NvInferRuntime.h"

namespace nvinfer1 {

class IBuilder;

// A value flowing through a network; the network owns it.
class ITensor : public INoCopy {
 public:
  ~ITensor() noexcept override = default;
  virtual void setName(char const* name) noexcept = 0;
  virtual char const* getName() const noexcept = 0;
  virtual void setDimensions(Dims const& dimensions) noexcept = 0;
  virtual Dims getDimensions() const noexcept = 0;
  virtual DataType getType() const noexcept = 0;
  virtual bool isNetworkInput() const noexcept = 0;
  virtual bool isNetworkOutput() const noexcept = 0;
  virtual bool isShapeTensor() const noexcept = 0;
  virtual bool isExecutionTensor() const noexcept = 0;
};

using NetworkDefinitionCreationFlags = uint32_t;

enum class NetworkDefinitionCreationFlag : int32_t {
  // Accepted and ignored: every network is strongly typed (TensorRT 11 semantics).
  kSTRONGLY_TYPED TRT_DEPRECATED_ENUM = 0,
  kPREFER_AOT_PYTHON_PLUGINS = 1,
  kPREFER_JIT_PYTHON_PLUGINS = 2,
};

// The graph to build. The ONNX parser fills it; the builder reads it.
class INetworkDefinition : public INoCopy {
 public:
  ~INetworkDefinition() noexcept override = default;
  virtual int32_t getNbInputs() const noexcept = 0;
  virtual ITensor* getInput(int32_t index) const noexcept = 0;
  virtual int32_t getNbOutputs() const noexcept = 0;
  virtual ITensor* getOutput(int32_t index) const noexcept = 0;
  virtual int32_t getNbLayers() const noexcept = 0;
  virtual void markOutput(ITensor& tensor) noexcept = 0;
  virtual void unmarkOutput(ITensor& tensor) noexcept = 0;
  virtual void setName(char const* name) noexcept = 0;
  virtual char const* getName() const noexcept = 0;
  virtual NetworkDefinitionCreationFlags getFlags() const noexcept = 0;
  virtual bool getFlag(NetworkDefinitionCreationFlag networkDefinitionCreationFlag) const noexcept = 0;
  virtual IBuilder& getBuilder() const noexcept = 0;
};

enum class MemoryPoolType : int32_t {
  kWORKSPACE = 0,
  kDLA_MANAGED_SRAM = 1,
  kDLA_LOCAL_DRAM = 2,
  kDLA_GLOBAL_DRAM = 3,
  kTACTIC_DRAM = 4,
  kTACTIC_SHARED_MEMORY = 5,
};

using BuilderFlags = uint32_t;

// The builder switches the simulator understands; the others are accepted and have no effect.
enum class BuilderFlag : int32_t {
  kDEBUG = 2,
  kGPU_FALLBACK = 3,
  kREFIT = 4,
  kDISABLE_TIMING_CACHE = 5,
  kTF32 = 6,
  kSPARSE_WEIGHTS = 7,
  kVERSION_COMPATIBLE = 12,
  kEXCLUDE_LEAN_RUNTIME = 13,
  kSTRIP_PLAN = 18,
};

enum class HardwareCompatibilityLevel : int32_t {
  kNONE = 0,
  kAMPERE_PLUS = 1,
  kSAME_COMPUTE_CAPABILITY = 2,
};

namespace v_1_0 {
// Build progress, reported from the building thread. stepComplete returning false cancels.
class IProgressMonitor : public IVersionedInterface {
 public:
  IProgressMonitor() = default;
  ~IProgressMonitor() noexcept override = default;

  InterfaceInfo getInterfaceInfo() const noexcept override { return InterfaceInfo{"IProgressMonitor", 1, 0}; }

  virtual void phaseStart(char const* phaseName, char const* parentPhase, int32_t nbSteps) noexcept = 0;
  virtual bool stepComplete(char const* phaseName, int32_t step) noexcept = 0;
  virtual void phaseFinish(char const* phaseName) noexcept = 0;
};
}  // namespace v_1_0
using IProgressMonitor = v_1_0::IProgressMonitor;

// Tactic timings a builder measured, shared between builds through its serialized form.
class ITimingCache : public INoCopy {
 public:
  ~ITimingCache() noexcept override = default;
  virtual IHostMemory* serialize() const noexcept = 0;
  // Adds the entries of inputCache that this cache lacks; false when the caches do not match.
  virtual bool combine(ITimingCache const& inputCache, bool ignoreMismatch) noexcept = 0;
  virtual bool reset() noexcept = 0;
};

// Plugin libraries the builder and runtime may use.
class IPluginRegistry {
 public:
  using PluginLibraryHandle = void*;
  // Loads a plugin library and registers its creators; nullptr (and a logged error) on failure.
  virtual PluginLibraryHandle loadLibrary(AsciiChar const* pluginPath) noexcept = 0;
  virtual void deregisterLibrary(PluginLibraryHandle handle) noexcept = 0;

 protected:
  virtual ~IPluginRegistry() noexcept = default;
};

class IBuilderConfig : public INoCopy {
 public:
  ~IBuilderConfig() noexcept override = default;
  virtual void setFlags(BuilderFlags builderFlags) noexcept = 0;
  virtual BuilderFlags getFlags() const noexcept = 0;
  virtual void setFlag(BuilderFlag builderFlag) noexcept = 0;
  virtual void clearFlag(BuilderFlag builderFlag) noexcept = 0;
  virtual bool getFlag(BuilderFlag builderFlag) const noexcept = 0;
  virtual void setMemoryPoolLimit(MemoryPoolType pool, std::size_t poolSize) noexcept = 0;
  virtual std::size_t getMemoryPoolLimit(MemoryPoolType pool) const noexcept = 0;
  // Returns the profile's index, or -1 when the profile is invalid.
  virtual int32_t addOptimizationProfile(IOptimizationProfile const* profile) noexcept = 0;
  virtual int32_t getNbOptimizationProfiles() const noexcept = 0;
  virtual void setBuilderOptimizationLevel(int32_t level) noexcept = 0;
  virtual int32_t getBuilderOptimizationLevel() noexcept = 0;
  virtual void setHardwareCompatibilityLevel(HardwareCompatibilityLevel hardwareCompatibilityLevel) noexcept = 0;
  virtual HardwareCompatibilityLevel getHardwareCompatibilityLevel() const noexcept = 0;
  virtual void setProgressMonitor(IProgressMonitor* monitor) noexcept = 0;
  virtual IProgressMonitor* getProgressMonitor() const noexcept = 0;
  // A cache from a serialized blob (empty when blob is nullptr or size is 0); nullptr when the blob is invalid.
  virtual ITimingCache* createTimingCache(void const* blob, std::size_t size) const noexcept = 0;
  // Attaches the cache (not owned: it must outlive the build), which builds read and extend.
  virtual bool setTimingCache(ITimingCache const& cache, bool ignoreMismatch) noexcept = 0;
  virtual ITimingCache const* getTimingCache() const noexcept = 0;
  virtual bool setMaxAuxStreams(int32_t nbStreams) noexcept = 0;
  virtual int32_t getMaxAuxStreams() const noexcept = 0;
};

class IBuilder : public INoCopy {
 public:
  ~IBuilder() noexcept override = default;
  virtual IBuilderConfig* createBuilderConfig() noexcept = 0;
  virtual INetworkDefinition* createNetworkV2(NetworkDefinitionCreationFlags flags) noexcept = 0;
  virtual IOptimizationProfile* createOptimizationProfile() noexcept = 0;
  // The serialized plan, or nullptr with the reason sent to the logger.
  virtual IHostMemory* buildSerializedNetwork(INetworkDefinition& network, IBuilderConfig& config) noexcept = 0;
  virtual bool isNetworkSupported(INetworkDefinition const& network, IBuilderConfig const& config) const noexcept = 0;
  virtual ILogger* getLogger() const noexcept = 0;
  virtual bool setMaxThreads(int32_t maxThreads) noexcept = 0;
  virtual int32_t getMaxThreads() const noexcept = 0;
  virtual int32_t getNbDLACores() const noexcept = 0;
  virtual void reset() noexcept = 0;
  virtual IPluginRegistry& getPluginRegistry() noexcept = 0;
};

}  // namespace nvinfer1

extern "C" TENSORRTAPI void* createInferBuilder_INTERNAL(void* logger, int32_t version) noexcept;

namespace nvinfer1 {
namespace {
inline IBuilder* createInferBuilder(ILogger& logger) noexcept {
  return static_cast<IBuilder*>(createInferBuilder_INTERNAL(&logger, NV_TENSORRT_VERSION));
}
}  // namespace
}  // namespace nvinfer1

#endif
