// ExecutionContext: one TensorRT execution context with its own CUDA stream and a grow-only
// device arena, exposed to JS. run() sets input shapes (TensorRT checks them against the active
// profile), points every I/O tensor at the arena, copies the inputs from the caller's TypedArrays,
// enqueues the engine and the copies back into caller-provided (or fresh) buffers, and settles
// through a stream callback. Arrays inside PinnedBuffers are copied in place; any other array goes
// through pooled pinned blocks (host_staging.h), so no copy ever waits for the GPU on the JS thread.
// Work that fails on the stream rejects the run with the CUDA error and TensorRT's log lines. One run at a time: the JS pool guarantees it and
// the context refuses a second one.
#pragma once

#include <NvInferRuntime.h>
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "tensorrt/engine.h"

namespace trtn {

struct StreamCore;

struct ArenaBlock {
  void* ptr = nullptr;
  size_t bytes = 0;
};

// Device memory for an output whose shape depends on the data: TensorRT asks for it during
// enqueueV3, once the size is known, and reports the shape. The memory is the output's arena block,
// grown like the others.
class ArenaOutputAllocator final : public nvinfer1::IOutputAllocator {
 public:
  explicit ArenaOutputAllocator(ArenaBlock* block) : block_(block) {}
  void* reallocateOutputAsync(const char* name, void* current, uint64_t size, uint64_t alignment, cudaStream_t stream) override;
  void notifyShape(const char* name, const nvinfer1::Dims& dims) noexcept override;
  const nvinfer1::Dims& dims() const { return dims_; }
  bool notified() const { return notified_; }
  void Reset() { notified_ = false; }

 private:
  ArenaBlock* block_;
  nvinfer1::Dims dims_{};
  bool notified_ = false;
};

struct PinnedMemory;

// The CUDA graph of a run's work (cudaGraph: true): the input copies from pinned blocks of its
// own, enqueueV3 and the output copies into pinned blocks, replayed by later runs with the same
// profile, input shapes, requested outputs and arena addresses (`key`).
struct GraphCache {
  cudaGraphExec_t exec = nullptr;
  std::string key;
  std::vector<std::shared_ptr<PinnedMemory>> inputs;   // in the order of the run's inputs
  std::vector<std::shared_ptr<PinnedMemory>> outputs;  // in the order of the requested outputs
};

struct ContextCore {
  std::shared_ptr<EngineCore> engine;
  std::shared_ptr<StreamCore> stream;
  nvinfer1::IExecutionContext* context = nullptr;
  std::vector<ArenaBlock> arena;  // one block per I/O tensor, indexed like getIOTensorName; never resized
  std::vector<std::unique_ptr<ArenaOutputAllocator>> allocators;  // for data-dependent outputs, same indexing
  int32_t profile = 0;
  size_t activation_bytes = 0;    // TensorRT's own device memory for the context (kSTATIC)
  bool busy = false;              // touched on the JS thread only
  // A sticky CUDA error a run of this context hit: CUDA's context is then unusable for good, so
  // later runs are refused with it instead of failing somewhere inside the next enqueue.
  cudaError_t fault = cudaSuccess;
  bool cuda_graph = false;        // capture runs of fixed shapes into CUDA graphs and replay them
  GraphCache graph;
  double graph_launches = 0;      // runs replayed from a graph
  ~ContextCore();
  size_t ArenaBytes() const;
};

class ExecutionContext : public Napi::ObjectWrap<ExecutionContext> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Object Create(Napi::Env env, const std::shared_ptr<EngineCore>& engine, bool cuda_graph);

  explicit ExecutionContext(const Napi::CallbackInfo& info);
  ~ExecutionContext() override;

  // The context's stream when `value` is a live ExecutionContext, else nullptr (test hooks).
  static std::shared_ptr<StreamCore> StreamOf(Napi::Env env, Napi::Value value);

 private:
  const std::shared_ptr<ContextCore>& core(Napi::Env env) const;
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Busy(const Napi::CallbackInfo& info);
  Napi::Value ArenaBytes(const Napi::CallbackInfo& info);
  Napi::Value GraphLaunches(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);
  void Report(Napi::Env env);

  std::shared_ptr<ContextCore> core_;
  int64_t reported_bytes_ = 0;  // native memory announced to V8 for this context
};

}  // namespace trtn
