// Runtime and engine stand-ins. An engine's description and constants are shared (immutable) with
// its contexts and with work still queued on streams, so misuse TensorRT calls undefined (deleting
// an engine before its contexts) is reported through the logger instead of crashing the simulator.
#pragma once

#include "plan.h"
#include "value.h"

#include <NvInferRuntime.h>

#include <atomic>
#include <memory>
#include <vector>

namespace trtsim {

struct EngineShared {
  EngineDesc desc;
  std::vector<Value> constants;  // decoded constant tensors, indexed like graph.tensors
  nvinfer1::ILogger* logger = nullptr;
  std::atomic<int> liveContexts{0};
  // Per I/O tensor: a shape tensor TensorRT keeps on the host (kHOST), as it keeps network inputs
  // that give a Reshape its target shape. Its value decides output shapes, so it is read through
  // a host pointer before getTensorShape and copied at enqueueV3.
  std::vector<bool> hostIo;
  // Per I/O tensor: the input an output must share its memory with (an in-place update), or -1.
  std::vector<int> aliasOf;
  // The device that was current when the engine was deserialized: its kernels and weights live
  // there, and only that device can run them.
  int device = 0;

  int ioIndex(const char* name) const;
  bool onHost(int io) const { return io >= 0 && hostIo[static_cast<size_t>(io)]; }
};

struct RuntimeShared {
  std::atomic<int> liveEngines{0};
};

class Engine final : public nvinfer1::ICudaEngine {
 public:
  Engine(std::shared_ptr<EngineShared> shared, std::shared_ptr<RuntimeShared> runtime);
  ~Engine() override;

  int32_t getNbIOTensors() const noexcept override { return static_cast<int32_t>(shared_->desc.io.size()); }
  const char* getIOTensorName(int32_t index) const noexcept override;
  nvinfer1::TensorIOMode getTensorIOMode(const char* name) const noexcept override;
  nvinfer1::DataType getTensorDataType(const char* name) const noexcept override;
  nvinfer1::Dims getTensorShape(const char* name) const noexcept override;
  nvinfer1::TensorLocation getTensorLocation(const char* name) const noexcept override;
  bool isShapeInferenceIO(const char* name) const noexcept override { return shared_->onHost(shared_->ioIndex(name)); }
  const char* getAliasedInputTensor(const char* name) const noexcept override;
  nvinfer1::TensorFormat getTensorFormat(const char*) const noexcept override { return nvinfer1::TensorFormat::kLINEAR; }
  const char* getTensorFormatDesc(const char* name) const noexcept override;
  int32_t getTensorBytesPerComponent(const char* name) const noexcept override;
  int32_t getTensorComponentsPerElement(const char* name) const noexcept override;
  int32_t getTensorVectorizedDim(const char*) const noexcept override { return -1; }
  int32_t getNbOptimizationProfiles() const noexcept override { return static_cast<int32_t>(shared_->desc.profiles.size()); }
  nvinfer1::Dims getProfileShape(const char* name, int32_t profile, nvinfer1::OptProfileSelector select) const noexcept override;
  int64_t getDeviceMemorySizeV2() const noexcept override;
  int64_t getDeviceMemorySizeForProfileV2(int32_t profile) const noexcept override;
  int32_t getNbLayers() const noexcept override { return static_cast<int32_t>(shared_->desc.graph.nodes.size()); }
  const char* getName() const noexcept override { return shared_->desc.name.c_str(); }
  bool isRefittable() const noexcept override { return false; }
  nvinfer1::IExecutionContext* createExecutionContext(nvinfer1::ExecutionContextAllocationStrategy strategy) noexcept override;
  nvinfer1::IHostMemory* serialize() const noexcept override;

 private:
  std::shared_ptr<EngineShared> shared_;
  std::shared_ptr<RuntimeShared> runtime_;
  mutable std::string formatDesc_;
};

class Runtime final : public nvinfer1::IRuntime {
 public:
  explicit Runtime(nvinfer1::ILogger* logger) : logger_(logger), shared_(std::make_shared<RuntimeShared>()) {}
  ~Runtime() override;
  nvinfer1::ICudaEngine* deserializeCudaEngine(const void* blob, std::size_t size) noexcept override;
  nvinfer1::ILogger* getLogger() const noexcept override { return logger_; }
  bool setMaxThreads(int32_t n) noexcept override {
    threads_ = n;
    return n > 0;
  }
  int32_t getMaxThreads() const noexcept override { return threads_; }
  void setEngineHostCodeAllowed(bool allowed) noexcept override { hostCodeAllowed_ = allowed; }
  bool getEngineHostCodeAllowed() const noexcept override { return hostCodeAllowed_; }

 private:
  nvinfer1::ILogger* logger_;
  std::shared_ptr<RuntimeShared> shared_;
  int32_t threads_ = 1;
  bool hostCodeAllowed_ = false;
};

}  // namespace trtsim
