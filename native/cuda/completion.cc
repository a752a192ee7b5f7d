#include "cuda/completion.h"

#include <cstring>

#include "cuda/pinned_buffer.h"
#include "errors.h"

namespace trtn {

PendingOp::PendingOp(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {
  // Room for what a run holds (its arrays, staging blocks, stream and context) from the start,
  // rather than growing each list step by step: fewer allocations per op.
  keep_alive_.reserve(4);
  holds_.reserve(4);
  copies_.reserve(2);
}

PendingOp::~PendingOp() = default;

void PendingOp::KeepAlive(Napi::Value value) { keep_alive_.push_back(Napi::Persistent(value)); }

void PendingOp::Hold(std::shared_ptr<void> resource) { holds_.push_back(std::move(resource)); }

void PendingOp::CopyIntoOnSettle(Napi::Value into, std::shared_ptr<PinnedMemory> from, size_t bytes) {
  copies_.push_back(CopyBack{Napi::Persistent(into), std::move(from), bytes});
}

void PendingOp::RunCopies(Napi::Env env) {
  for (CopyBack& copy : copies_) {
    // Read the array's memory again now: it is only copied into if it is still there.
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, copy.into.Value(), &type, &length, &data, nullptr, nullptr) != napi_ok) continue;
    if (copy.into.Value().As<Napi::TypedArray>().ByteLength() >= copy.bytes && copy.bytes != 0) {
      std::memcpy(data, copy.from->ptr, copy.bytes);
    }
  }
}

void PendingOp::Settle(Napi::Env env, Napi::Promise::Deferred& deferred) { deferred.Resolve(env.Undefined()); }

void PendingOp::Fail(Napi::Env env, Napi::Promise::Deferred& deferred, cudaError_t status) {
  deferred.Reject(CudaError(env, status, "Work queued on the CUDA stream").Value());
}

void PendingOp::Release() {
  copies_.clear();
  keep_alive_.clear();  // deletes the references (also during environment teardown)
  holds_.clear();       // may free native memory: always on the JS thread, never in a host function
}

CompletionQueue::CompletionQueue(Napi::Env env) : env_(env) {
  napi_value name = Napi::String::New(env, "tensorrt-node:stream-completion");
  napi_status status =
      napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this, &CompletionQueue::CallJs, &tsfn_);
  NAPI_THROW_IF_FAILED_VOID(env, status);
  // Only in-flight work keeps the process alive.
  napi_unref_threadsafe_function(env, tsfn_);
}

CompletionQueue::~CompletionQueue() = default;

Napi::Promise CompletionQueue::Launch(Napi::Env env, std::unique_ptr<PendingOp> op, cudaStream_t stream) {
  op->stream_ = stream;
  op->queue_ = this;
  Napi::Promise promise = op->deferred_.Promise();
  cudaError_t status = cudaStreamAddCallback(stream, &CompletionQueue::OnStreamReached, op.get(), 0);
  if (status != cudaSuccess) {
    cudaStreamSynchronize(stream);
    op->Release();
    throw CudaError(env, status, "cudaStreamAddCallback");
  }
  if (live_.empty()) napi_ref_threadsafe_function(env, tsfn_);
  live_.insert(op.release());
  return promise;
}

void CUDART_CB CompletionQueue::OnStreamReached(cudaStream_t, cudaError_t status, void* data) {
  // Runs on a CUDA-owned thread: no CUDA calls, no JS, no blocking. Just post.
  auto* op = static_cast<PendingOp*>(data);
  op->status_ = status;
  op->Reached(status);
  CompletionQueue* queue = op->queue_;
  if (napi_call_threadsafe_function(queue->tsfn_, op, napi_tsfn_nonblocking) != napi_ok) {
    std::lock_guard<std::mutex> lock(queue->orphans_mutex_);
    queue->orphans_.push_back(op);
  }
}

void CompletionQueue::CallJs(napi_env env, napi_value, void* context, void* data) {
  static_cast<CompletionQueue*>(context)->Finish(static_cast<PendingOp*>(data), env);
}

void CompletionQueue::Finish(PendingOp* op, napi_env env) {
  std::unique_ptr<PendingOp> owned(op);
  live_.erase(op);
  // Nothing may escape into Node: while an environment shuts down, JS calls fail and throw.
  try {
    Napi::Env js_env(env_);
    Napi::HandleScope scope(js_env);
    if (env != nullptr && !tearing_down_) {
      try {
        if (op->status_ != cudaSuccess) {
          op->Fail(js_env, op->deferred_, op->status_);  // the arrays were never written: no copies
        } else {
          op->RunCopies(js_env);
          op->Settle(js_env, op->deferred_);
        }
      } catch (const Napi::Error& error) {
        op->deferred_.Reject(error.Value());
      }
    } else {
      // The environment is going away: nobody can observe the promise any more, but settling
      // it is what frees its native handle.
      op->deferred_.Reject(js_env.Undefined());
    }
  } catch (...) {
  }
  if (env != nullptr && live_.empty()) napi_unref_threadsafe_function(env, tsfn_);
  op->Release();
}

void CompletionQueue::Teardown() {
  tearing_down_ = true;
  for (PendingOp* op : live_) cudaStreamSynchronize(op->stream_);
  std::vector<PendingOp*> orphans;
  {
    std::lock_guard<std::mutex> lock(orphans_mutex_);
    orphans.swap(orphans_);
  }
  for (PendingOp* op : orphans) Finish(op, nullptr);
  // Ops already posted are delivered by Node while it closes the thread-safe function (with a
  // null env), which reaches Finish as well. Releasing our only thread lets it close.
  napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
}

}  // namespace trtn
