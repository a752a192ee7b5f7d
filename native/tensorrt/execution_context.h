// ExecutionContext: one TensorRT execution context with its own CUDA stream and a grow-only
// device arena, exposed to JS. run() sets input shapes (TensorRT checks them against the active
// profile), writes shape tensors TensorRT keeps on the host into host blocks of the context's own
// (before output shapes are asked for, since their values decide them), points every other I/O
// tensor at the arena, copies the inputs from the caller's TypedArrays, enqueues the engine and
// the copies back into caller-provided (or fresh) buffers, and settles through a stream callback.
// Arrays inside PinnedBuffers are copied in place; any other array goes through pooled pinned
// blocks (host_staging.h), so no copy waits for the GPU on the JS thread. Work that may wait for
// the GPU runs on the libuv pool: enqueueV3 of engines with data-dependent output shapes (TensorRT
// synchronizes inside it to learn the sizes) and the capture of CUDA graphs. Work that fails on
// the stream rejects the run with the CUDA error and what TensorRT logged while enqueuing it. One
// run at a time: the JS pool guarantees it and the context refuses a second one.
#pragma once

#include <NvInferRuntime.h>
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "tensorrt/context_graphs.h"
#include "tensorrt/engine.h"
#include "tensorrt/output_allocator.h"

namespace trtn {

struct StreamCore;
struct PinnedMemory;

struct ContextCore {
  std::shared_ptr<EngineCore> engine;
  std::shared_ptr<StreamCore> stream;
  Owned<nvinfer1::IExecutionContext> context;
  // Per I/O tensor, indexed like getIOTensorName; never resized. Tensors TensorRT keeps on the
  // device live in the arena; shape tensors it keeps on the host (TensorLocation::kHOST) in host
  // blocks, which stay put from setTensorAddress until enqueueV3 has copied them.
  std::vector<ArenaBlock> arena;
  std::vector<bool> on_host;
  std::vector<std::shared_ptr<PinnedMemory>> host;
  std::vector<std::unique_ptr<ArenaOutputAllocator>> allocators;  // for data-dependent outputs
  // The input an output must share memory with (ICudaEngine::getAliasedInputTensor: TensorRT
  // updates that input in place, e.g. a KV cache), or -1.
  std::vector<int32_t> alias_of;
  int32_t profile = 0;
  // TensorRT's own device memory for the context. kSTATIC: TensorRT allocates the most any
  // profile needs when the context is created. User-managed (on demand): the context gives it
  // `activation`, grown to what the run's shapes need (updateDeviceMemorySizeForShapes).
  bool user_managed = false;
  ArenaBlock activation;
  size_t activation_bytes = 0;
  bool busy = false;  // touched on the JS thread only
  // A sticky CUDA error a run of this context hit: CUDA's context is then unusable for good, so
  // later runs are refused with it instead of failing somewhere inside the next enqueue.
  cudaError_t fault = cudaSuccess;
  bool cuda_graph = false;  // capture runs of fixed shapes into CUDA graphs and replay them
  // An uncaptured enqueueV3 with the current profile has run: TensorRT has set the profile up, so
  // runs may be captured. Reset by a profile switch.
  bool warm = false;
  GraphCache graphs;
  double graph_launches = 0;  // runs served by a graph (captured or replayed)
  ContextCore() = default;
  ContextCore(const ContextCore&) = delete;  // owns its handle: a copy would free it twice
  ContextCore& operator=(const ContextCore&) = delete;
  ~ContextCore();
  size_t ArenaBytes() const;
  // The device memory of I/O tensor `k` (its input's block for an aliased output).
  void* DevicePtr(size_t k) const { return arena[alias_of[k] >= 0 ? static_cast<size_t>(alias_of[k]) : k].ptr; }
};

class ExecutionContext : public Napi::ObjectWrap<ExecutionContext> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Object Create(Napi::Env env, const std::shared_ptr<EngineCore>& engine, bool cuda_graph, bool user_managed);

  explicit ExecutionContext(const Napi::CallbackInfo& info);
  ~ExecutionContext() override;

  // The context's stream when `value` is a live ExecutionContext, else nullptr (test hooks).
  static std::shared_ptr<StreamCore> StreamOf(Napi::Env env, Napi::Value value);

 private:
  const std::shared_ptr<ContextCore>& core(Napi::Env env) const;
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Busy(const Napi::CallbackInfo& info);
  Napi::Value ArenaBytes(const Napi::CallbackInfo& info);
  Napi::Value ActivationBytes(const Napi::CallbackInfo& info);
  Napi::Value GraphLaunches(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);
  void Report(Napi::Env env);

  std::shared_ptr<ContextCore> core_;
  int64_t reported_bytes_ = 0;  // native memory announced to V8 for this context
};

}  // namespace trtn
