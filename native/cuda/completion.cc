#include "cuda/completion.h"

#include "errors.h"

namespace trtn {

PendingOp::PendingOp(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {}

PendingOp::~PendingOp() = default;

void PendingOp::KeepAlive(Napi::Value value) { keep_alive_.push_back(Napi::Persistent(value)); }

void PendingOp::Hold(std::shared_ptr<void> resource) { holds_.push_back(std::move(resource)); }

void PendingOp::Settle(Napi::Env env, Napi::Promise::Deferred& deferred) { deferred.Resolve(env.Undefined()); }

void PendingOp::Release(bool env_alive) {
  if (!env_alive) {
    // The environment is being torn down and frees its references itself.
    for (auto& ref : keep_alive_) ref.SuppressDestruct();
  }
  keep_alive_.clear();
  holds_.clear();  // may free native memory: always on the JS thread, never in a host function
}

CompletionQueue::CompletionQueue(Napi::Env env) : env_(env) {
  napi_value name = Napi::String::New(env, "tensorrt-node:stream-completion");
  napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this,
                                                       &CompletionQueue::CallJs, &tsfn_);
  NAPI_THROW_IF_FAILED_VOID(env, status);
  // Only in-flight work keeps the process alive.
  napi_unref_threadsafe_function(env, tsfn_);
}

CompletionQueue::~CompletionQueue() = default;

Napi::Promise CompletionQueue::Launch(Napi::Env env, std::unique_ptr<PendingOp> op, cudaStream_t stream) {
  op->stream_ = stream;
  op->queue_ = this;
  Napi::Promise promise = op->deferred_.Promise();
  cudaError_t status = cudaLaunchHostFunc(stream, &CompletionQueue::OnStreamReached, op.get());
  if (status != cudaSuccess) {
    cudaStreamSynchronize(stream);
    op->Release(true);
    throw CudaError(env, status, "cudaLaunchHostFunc");
  }
  if (live_.empty()) napi_ref_threadsafe_function(env, tsfn_);
  live_.insert(op.release());
  return promise;
}

void CUDART_CB CompletionQueue::OnStreamReached(void* data) {
  // Runs on a CUDA-owned thread: no CUDA calls, no JS, no blocking. Just post.
  auto* op = static_cast<PendingOp*>(data);
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
  bool env_alive = env != nullptr && !tearing_down_;
  if (env_alive) {
    // Nothing may escape into Node: while a worker terminates, JS calls fail and would throw.
    try {
      Napi::Env js_env(env);
      Napi::HandleScope scope(js_env);
      try {
        op->Settle(js_env, op->deferred_);
      } catch (const Napi::Error& error) {
        op->deferred_.Reject(error.Value());
      }
    } catch (...) {
    }
    if (live_.empty()) napi_unref_threadsafe_function(env, tsfn_);
  }
  op->Release(env_alive);
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
