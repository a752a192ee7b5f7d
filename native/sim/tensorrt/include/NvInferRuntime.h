// tensorrt-node TensorRT simulator: runtime interfaces (logger, runtime, engine, execution
// context, optimization profile, serialized memory). This project's own declarations of the
// subset tensorrt-node uses, with TensorRT 10/11's names, signatures and meaning. Objects are
// released with `delete`, as in TensorRT 10 and later.
#ifndef NV_INFER_RUNTIME_H
#define NV_INFER_RUNTIME_H

#include "NvInferRuntimeBase.h"

namespace nvinfer1 {

class ICudaEngine;
class IExecutionContext;

// Interfaces owned by the library are neither copyable nor movable.
class INoCopy {
 protected:
  INoCopy() = default;
  virtual ~INoCopy() = default;
  INoCopy(INoCopy const&) = delete;
  INoCopy& operator=(INoCopy const&) = delete;
  INoCopy(INoCopy&&) = delete;
  INoCopy& operator=(INoCopy&&) = delete;
};

// Bytes owned by the library: a serialized engine, for instance.
class IHostMemory : public INoCopy {
 public:
  ~IHostMemory() noexcept override = default;
  virtual void* data() const noexcept = 0;
  virtual std::size_t size() const noexcept = 0;
  virtual DataType type() const noexcept = 0;
};

namespace v_1_0 {
// Receives every diagnostic the library emits. Called from whichever thread hit the condition.
class ILogger : public IVersionedInterface {
 public:
  InterfaceInfo getInterfaceInfo() const noexcept override { return {"ILogger", 1, 0}; }

  enum class Severity : int32_t {
    kINTERNAL_ERROR = 0,
    kERROR = 1,
    kWARNING = 2,
    kINFO = 3,
    kVERBOSE = 4,
  };

  virtual void log(Severity severity, AsciiChar const* msg) noexcept = 0;

  ILogger() = default;
  ~ILogger() override = default;

 protected:
  ILogger(ILogger const&) = default;
  ILogger(ILogger&&) = default;
  ILogger& operator=(ILogger const&) & = default;
  ILogger& operator=(ILogger&&) & = default;
};
}  // namespace v_1_0
using ILogger = v_1_0::ILogger;

enum class OptProfileSelector : int32_t {
  kMIN = 0,
  kOPT = 1,
  kMAX = 2,
};

// Memory layouts of I/O tensors; the simulator produces linear (row-major) tensors only.
enum class TensorFormat : int32_t {
  kLINEAR = 0,
  kCHW2 = 1,
  kHWC8 = 2,
  kCHW4 = 3,
  kCHW16 = 4,
  kCHW32 = 5,
  kDHWC8 = 6,
  kCDHW32 = 7,
  kHWC = 8,
  kDLA_LINEAR = 9,
  kDLA_HWC4 = 10,
  kHWC16 = 11,
  kDHWC = 12,
};

enum class TensorLocation : int32_t {
  kDEVICE = 0,
  kHOST = 1,
};

enum class ExecutionContextAllocationStrategy : int32_t {
  kSTATIC = 0,
  kON_PROFILE_CHANGE = 1,
  kUSER_MANAGED = 2,
};

// Ranges (min/opt/max) of the dynamic input shapes one engine configuration accepts, and of the
// values of shape tensor inputs (inputs whose values decide shapes), which every profile must give.
class IOptimizationProfile : public INoCopy {
 public:
  ~IOptimizationProfile() noexcept override = default;
  virtual bool setDimensions(char const* inputName, OptProfileSelector select, Dims const& dims) noexcept = 0;
  virtual Dims getDimensions(char const* inputName, OptProfileSelector select) const noexcept = 0;
  virtual bool setShapeValuesV2(char const* inputName, OptProfileSelector select, int64_t const* values, int32_t nbValues) noexcept = 0;
  virtual int32_t getNbShapeValues(char const* inputName) const noexcept = 0;
  virtual int64_t const* getShapeValuesV2(char const* inputName, OptProfileSelector select) const noexcept = 0;
  virtual bool isValid() const noexcept = 0;
};

namespace v_1_0 {
// Lets the application provide output memory once an output's shape is known (data-dependent
// shapes). Both calls arrive on the stream's timeline.
class IOutputAllocator : public IVersionedInterface {
 public:
  InterfaceInfo getInterfaceInfo() const noexcept override { return {"IOutputAllocator", 1, 0}; }

  TRT_DEPRECATED virtual void* reallocateOutput(char const* /* tensorName */, void* /* currentMemory */, uint64_t /* size */,
                                                uint64_t /* alignment */) noexcept {
    return nullptr;
  }

  virtual void* reallocateOutputAsync(char const* tensorName, void* currentMemory, uint64_t size, uint64_t alignment,
                                      cudaStream_t /* stream */) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    return reallocateOutput(tensorName, currentMemory, size, alignment);
#pragma GCC diagnostic pop
  }

  virtual void notifyShape(char const* tensorName, Dims const& dims) noexcept = 0;
};
}  // namespace v_1_0
using IOutputAllocator = v_1_0::IOutputAllocator;

// Per-run state of an engine: input shapes, tensor addresses, selected profile. One context must
// not be used by two threads, nor enqueued on two streams at once.
class IExecutionContext : public INoCopy {
 public:
  ~IExecutionContext() noexcept override = default;

  virtual ICudaEngine const& getEngine() const noexcept = 0;
  virtual void setName(char const* name) noexcept = 0;
  virtual char const* getName() const noexcept = 0;

  virtual void setDeviceMemoryV2(void* memory, int64_t size) noexcept = 0;

  virtual int32_t getOptimizationProfile() const noexcept = 0;
  virtual bool setOptimizationProfileAsync(int32_t profileIndex, cudaStream_t stream) noexcept = 0;

  virtual bool setInputShape(char const* tensorName, Dims const& dims) noexcept = 0;
  virtual Dims getTensorShape(char const* tensorName) const noexcept = 0;
  virtual Dims getTensorStrides(char const* tensorName) const noexcept = 0;
  virtual bool allInputDimensionsSpecified() const noexcept = 0;
  virtual int32_t inferShapes(int32_t nbMaxNames, char const** tensorNames) noexcept = 0;
  virtual size_t updateDeviceMemorySizeForShapes() noexcept = 0;

  virtual bool setTensorAddress(char const* tensorName, void* data) noexcept = 0;
  virtual void const* getTensorAddress(char const* tensorName) const noexcept = 0;
  virtual bool setInputTensorAddress(char const* tensorName, void const* data) noexcept = 0;
  virtual bool setOutputTensorAddress(char const* tensorName, void* data) noexcept = 0;
  virtual void* getOutputTensorAddress(char const* tensorName) const noexcept = 0;

  virtual bool setOutputAllocator(char const* tensorName, IOutputAllocator* outputAllocator) noexcept = 0;
  virtual IOutputAllocator* getOutputAllocator(char const* tensorName) const noexcept = 0;
  virtual int64_t getMaxOutputSize(char const* tensorName) const noexcept = 0;

  virtual bool setInputConsumedEvent(cudaEvent_t event) noexcept = 0;
  virtual cudaEvent_t getInputConsumedEvent() const noexcept = 0;

  virtual bool enqueueV3(cudaStream_t stream) noexcept = 0;
};

// A deserialized engine: I/O tensor descriptions, optimization profiles, memory needs.
class ICudaEngine : public INoCopy {
 public:
  ~ICudaEngine() noexcept override = default;

  virtual int32_t getNbIOTensors() const noexcept = 0;
  virtual char const* getIOTensorName(int32_t index) const noexcept = 0;
  virtual TensorIOMode getTensorIOMode(char const* tensorName) const noexcept = 0;
  virtual DataType getTensorDataType(char const* tensorName) const noexcept = 0;
  virtual Dims getTensorShape(char const* tensorName) const noexcept = 0;
  virtual TensorLocation getTensorLocation(char const* tensorName) const noexcept = 0;
  virtual bool isShapeInferenceIO(char const* tensorName) const noexcept = 0;
  virtual char const* getAliasedInputTensor(char const* tensorName) const noexcept = 0;
  virtual TensorFormat getTensorFormat(char const* tensorName) const noexcept = 0;
  virtual char const* getTensorFormatDesc(char const* tensorName) const noexcept = 0;
  virtual int32_t getTensorBytesPerComponent(char const* tensorName) const noexcept = 0;
  virtual int32_t getTensorComponentsPerElement(char const* tensorName) const noexcept = 0;
  virtual int32_t getTensorVectorizedDim(char const* tensorName) const noexcept = 0;

  virtual int32_t getNbOptimizationProfiles() const noexcept = 0;
  virtual Dims getProfileShape(char const* tensorName, int32_t profileIndex, OptProfileSelector select) const noexcept = 0;

  virtual int64_t getDeviceMemorySizeV2() const noexcept = 0;
  virtual int64_t getDeviceMemorySizeForProfileV2(int32_t profileIndex) const noexcept = 0;

  virtual int32_t getNbLayers() const noexcept = 0;
  virtual char const* getName() const noexcept = 0;
  virtual bool isRefittable() const noexcept = 0;

  virtual IExecutionContext* createExecutionContext(
      ExecutionContextAllocationStrategy strategy = ExecutionContextAllocationStrategy::kSTATIC) noexcept = 0;
  virtual IHostMemory* serialize() const noexcept = 0;
};

// Deserializes engines. Engines it creates must be deleted before it.
class IRuntime : public INoCopy {
 public:
  ~IRuntime() noexcept override = default;

  virtual ICudaEngine* deserializeCudaEngine(void const* blob, std::size_t size) noexcept = 0;
  virtual ILogger* getLogger() const noexcept = 0;
  virtual bool setMaxThreads(int32_t maxThreads) noexcept = 0;
  virtual int32_t getMaxThreads() const noexcept = 0;
  virtual void setEngineHostCodeAllowed(bool allowed) noexcept = 0;
  virtual bool getEngineHostCodeAllowed() const noexcept = 0;
};

}  // namespace nvinfer1

extern "C" TENSORRTAPI void* createInferRuntime_INTERNAL(void* logger, int32_t version) noexcept;

namespace nvinfer1 {
namespace {
// Creates a runtime that reports through `logger`; nullptr when the library cannot serve this
// API version.
inline IRuntime* createInferRuntime(ILogger& logger) noexcept {
  return static_cast<IRuntime*>(createInferRuntime_INTERNAL(&logger, NV_TENSORRT_VERSION));
}
}  // namespace
}  // namespace nvinfer1

#endif
