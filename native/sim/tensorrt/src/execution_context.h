// Execution context stand-in. It enforces TensorRT's contract (shapes set and inside the active
// profile before enqueue, every I/O address set, one enqueue at a time) and runs the network on the
// CPU as a host function on the caller's simulated CUDA stream, reading and writing the tensors
// at the addresses the application set.
#pragma once

#include "engine.h"

#include <NvInferRuntime.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace trtsim {

struct Job;  // a run as enqueued (execution_context.cc)

// What outlives the context object: the count of its runs still queued on a stream.
struct ContextActivity {
  ~ContextActivity();
  std::atomic<int> inFlight{0};
  std::atomic<int32_t> appliedProfile{0};  // the profile the last uncaptured enqueueV3 set up
  std::atomic<uint64_t> generation{0};     // uncaptured enqueueV3 calls so far
  std::mutex mutex;
  cudaStream_t stream = nullptr;  // stream of the runs in flight
  // Jobs of completed runs, taken by the next enqueueV3 with the memory their vectors hold, so a
  // steady stream of runs does not allocate a job each (guarded by mutex).
  std::vector<std::unique_ptr<Job>> spareJobs;
};

class ExecutionContext final : public nvinfer1::IExecutionContext {
 public:
  ExecutionContext(Engine& engine, std::shared_ptr<EngineShared> shared, nvinfer1::ExecutionContextAllocationStrategy strategy);
  ~ExecutionContext() override;

  // kSTATIC contexts own their device memory from creation; false (logged) when it cannot be had.
  bool allocateStatic();

  const nvinfer1::ICudaEngine& getEngine() const noexcept override { return engine_; }
  void setName(const char* name) noexcept override { name_ = name ? name : ""; }
  const char* getName() const noexcept override { return name_.c_str(); }
  void setDeviceMemoryV2(void* memory, int64_t size) noexcept override;
  int32_t getOptimizationProfile() const noexcept override { return profile_; }
  bool setOptimizationProfileAsync(int32_t profileIndex, cudaStream_t stream) noexcept override;
  bool setInputShape(const char* name, const nvinfer1::Dims& dims) noexcept override;
  nvinfer1::Dims getTensorShape(const char* name) const noexcept override;
  nvinfer1::Dims getTensorStrides(const char* name) const noexcept override;
  bool allInputDimensionsSpecified() const noexcept override;
  int32_t inferShapes(int32_t nbMaxNames, const char** tensorNames) noexcept override;
  size_t updateDeviceMemorySizeForShapes() noexcept override;
  bool setTensorAddress(const char* name, void* data) noexcept override;
  const void* getTensorAddress(const char* name) const noexcept override;
  bool setInputTensorAddress(const char* name, const void* data) noexcept override;
  bool setOutputTensorAddress(const char* name, void* data) noexcept override;
  void* getOutputTensorAddress(const char* name) const noexcept override;
  bool setOutputAllocator(const char* name, nvinfer1::IOutputAllocator* allocator) noexcept override;
  nvinfer1::IOutputAllocator* getOutputAllocator(const char* name) const noexcept override;
  int64_t getMaxOutputSize(const char* name) const noexcept override;
  bool setInputConsumedEvent(cudaEvent_t event) noexcept override {
    consumedEvent_ = event;
    return true;
  }
  cudaEvent_t getInputConsumedEvent() const noexcept override { return consumedEvent_; }
  bool enqueueV3(cudaStream_t stream) noexcept override;

 private:
  // The shapes of every graph tensor now, or nullptr (with `why`); valid until the next call.
  const std::vector<Shape>* currentShapes(std::string& why) const;
  // The values of kHOST inputs read through their addresses (empty where no address is set);
  // false when an address is device memory.
  bool readHostInputs(std::vector<std::vector<uint8_t>>& values, std::string& why) const;
  const std::vector<Shape>* shapesWithValues(const std::vector<std::vector<uint8_t>>& values, std::string& why) const;
  // The input shapes changed (setInputShape, a profile switch): the shapes they decide are
  // computed again when next asked for.
  void forgetShapes() { shapesKnown_ = false; }
  void error(const std::string& where, const std::string& text) const;

  Engine& engine_;
  std::shared_ptr<EngineShared> shared_;
  nvinfer1::ExecutionContextAllocationStrategy strategy_;
  std::shared_ptr<ContextActivity> activity_;
  std::string name_;
  int32_t profile_ = 0;
  bool profilePending_ = false;     // switched since the last uncaptured enqueueV3
  bool warmed_ = false;             // an uncaptured enqueueV3 has run
  std::vector<Shape> inputShapes_;  // per engine input; empty with specified_ false when unset
  std::vector<bool> specified_;
  std::vector<void*> addresses_;  // per I/O tensor
  std::vector<bool> addressSet_;
  std::vector<nvinfer1::IOutputAllocator*> allocators_;
  // The shapes of every graph tensor for the current input shapes, kept while they stay the same.
  // Never kept for engines with kHOST shape inputs: their values, which the application may
  // change through the addresses at any time, decide shapes, so those are computed on every call.
  mutable std::vector<Shape> shapes_;
  mutable bool shapesKnown_ = false;
  bool hasHostInputs_ = false;
  mutable std::vector<std::vector<uint8_t>> hostValues_;  // currentShapes' reading of kHOST inputs
  void* deviceMemory_ = nullptr;
  int64_t deviceMemorySize_ = 0;
  bool ownsDeviceMemory_ = false;
  cudaEvent_t consumedEvent_ = nullptr;
  std::atomic<bool> enqueueing_{false};
  // Runs captured into CUDA graphs, replayed by every launch: they live as long as the context
  // (destroying a context whose graphs may still launch is the application's error, as in TensorRT).
  std::vector<std::unique_ptr<Job>> capturedJobs_;
};

}  // namespace trtsim
