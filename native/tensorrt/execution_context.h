// ExecutionContext: one TensorRT execution context with its own CUDA stream and a grow-only
// device arena, exposed to JS. run() sets input shapes (TensorRT checks them against the active
// profile), points every I/O tensor at the arena, copies inputs straight from the caller's
// TypedArrays, enqueues the engine and the copies back into caller-provided (or fresh) buffers,
// and settles through a stream host callback. One run at a time: the JS pool guarantees it and
// the context refuses a second one.
#pragma once

#include <NvInferRuntime.h>
#include <napi.h>

#include <memory>
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

struct ContextCore {
  std::shared_ptr<EngineCore> engine;
  std::shared_ptr<StreamCore> stream;
  nvinfer1::IExecutionContext* context = nullptr;
  std::vector<ArenaBlock> arena;  // one block per I/O tensor, indexed like getIOTensorName; never resized
  std::vector<std::unique_ptr<ArenaOutputAllocator>> allocators;  // for data-dependent outputs, same indexing
  int32_t profile = 0;
  size_t activation_bytes = 0;    // TensorRT's own device memory for the context (kSTATIC)
  bool busy = false;              // touched on the JS thread only
  ~ContextCore();
  size_t ArenaBytes() const;
};

class ExecutionContext : public Napi::ObjectWrap<ExecutionContext> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Object Create(Napi::Env env, const std::shared_ptr<EngineCore>& engine);

  explicit ExecutionContext(const Napi::CallbackInfo& info);
  ~ExecutionContext() override;

 private:
  const std::shared_ptr<ContextCore>& core(Napi::Env env) const;
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Busy(const Napi::CallbackInfo& info);
  Napi::Value ArenaBytes(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);
  void Report(Napi::Env env);

  std::shared_ptr<ContextCore> core_;
  int64_t reported_bytes_ = 0;  // native memory announced to V8 for this context
};

}  // namespace trtn
