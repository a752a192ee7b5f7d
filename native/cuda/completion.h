// How GPU work tells JavaScript that it finished without any thread waiting for it: after the
// work is enqueued on a stream, a host function is enqueued behind it; when the stream reaches
// it, the host function posts the operation to a thread-safe function, which settles the
// operation's promise on the JS thread. Until then the operation keeps alive everything the
// GPU may touch: the caller's TypedArrays (by reference) and the native memory (by shared_ptr).
#pragma once

#include <cuda_runtime_api.h>
#include <napi.h>

#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace trtn {

class CompletionQueue;
struct PinnedMemory;

class PendingOp {
 public:
  explicit PendingOp(Napi::Env env);
  virtual ~PendingOp();
  PendingOp(const PendingOp&) = delete;
  PendingOp& operator=(const PendingOp&) = delete;

  // Keeps a JS value (a caller's TypedArray, a wrapper object) alive until the op settles.
  void KeepAlive(Napi::Value value);
  // Keeps a native resource (stream, device or pinned memory) alive until the op settles.
  void Hold(std::shared_ptr<void> resource);
  // When the op settles (before Settle), copies `bytes` from `from` into the TypedArray `into`
  // (see host_staging.h). Skipped if the array was detached or shrunk meanwhile.
  void CopyIntoOnSettle(Napi::Value into, std::shared_ptr<PinnedMemory> from, size_t bytes);

  // The op's promise. Its handle lives in the handle scope the op was created in: a caller that
  // launches the op from a later callback keeps a reference to it.
  Napi::Promise Promise() const { return deferred_.Promise(); }

  // Runs on the JS thread once the stream has reached the op; the default resolves undefined.
  // Subclasses resolve with results or reject (e.g. with errors their work recorded).
  virtual void Settle(Napi::Env env, Napi::Promise::Deferred& deferred);
  // Runs on the JS thread instead of Settle (and of the copies into arrays) when the stream
  // reports a device error for the work before the op; the default rejects with that CUDA error.
  virtual void Fail(Napi::Env env, Napi::Promise::Deferred& deferred, cudaError_t status);
  // Runs on CUDA's callback thread when the stream reaches the op, before JS is told. No CUDA
  // calls, no JS, no blocking.
  virtual void Reached(cudaError_t status) { (void)status; }

 private:
  friend class CompletionQueue;
  void Release();
  void RunCopies(Napi::Env env);

  struct CopyBack {
    Napi::Reference<Napi::Value> into;
    std::shared_ptr<PinnedMemory> from;
    size_t bytes;
  };
  std::vector<CopyBack> copies_;

  Napi::Promise::Deferred deferred_;
  std::vector<Napi::Reference<Napi::Value>> keep_alive_;
  std::vector<std::shared_ptr<void>> holds_;
  cudaStream_t stream_ = nullptr;
  CompletionQueue* queue_ = nullptr;
  cudaError_t status_ = cudaSuccess;  // written by the stream callback, read after it posted
};

class CompletionQueue {
 public:
  explicit CompletionQueue(Napi::Env env);
  ~CompletionQueue();

  // Enqueues the op's stream callback on `stream` (behind the work the caller already enqueued)
  // and returns the op's promise. A callback rather than a host function: CUDA calls callbacks
  // exactly once, with the device error if the work before it failed, whereas host functions are
  // silently dropped after a fault (the promise would never settle). If CUDA refuses the callback, the stream is synchronized
  // so the enqueued work no longer uses what the op holds, and a CUDA error is thrown.
  Napi::Promise Launch(Napi::Env env, std::unique_ptr<PendingOp> op, cudaStream_t stream);

  size_t in_flight() const { return live_.size(); }

  // Environment cleanup: waits for the streams of all in-flight ops, so every host function has
  // run, and frees ops whose notification could not be delivered any more.
  void Teardown();

 private:
  static void CUDART_CB OnStreamReached(cudaStream_t stream, cudaError_t status, void* data);
  static void CallJs(napi_env env, napi_value callback, void* context, void* data);
  void Finish(PendingOp* op, napi_env env);

  napi_env env_;
  napi_threadsafe_function tsfn_ = nullptr;
  std::unordered_set<PendingOp*> live_;  // touched on the JS thread only
  std::mutex orphans_mutex_;
  std::vector<PendingOp*> orphans_;  // host functions that could not post any more
  bool tearing_down_ = false;
};

}  // namespace trtn
