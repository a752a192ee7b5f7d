#include "testing/stream_gate.h"

#include <cuda_runtime_api.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "addon_state.h"
#include "cuda/stream.h"
#include "errors.h"
#include "testing/heap_stats.h"
#include "testing/kernel_fault.h"
#if TRTN_HAVE_TENSORRT
#include "tensorrt/execution_context.h"
#endif

namespace trtn {
namespace {

struct Gate {
  std::mutex mutex;
  std::condition_variable opened_changed;
  bool opened = false;

  void Open() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      opened = true;
    }
    opened_changed.notify_all();
  }
};

// Owned by the host function's enqueued call; holds the gate and the stream it blocks.
struct GateCall {
  std::shared_ptr<Gate> gate;
  std::shared_ptr<StreamCore> stream;
};

void CUDART_CB WaitAtGate(void* data) {
  std::unique_ptr<GateCall> call(static_cast<GateCall*>(data));
  std::unique_lock<std::mutex> lock(call->gate->mutex);
  call->gate->opened_changed.wait(lock, [&] { return call->gate->opened; });
}

Napi::Value GateStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto gate = std::make_shared<Gate>();
  std::shared_ptr<StreamCore> stream;
#if TRTN_HAVE_TENSORRT
  stream = ExecutionContext::StreamOf(env, info[0]);  // an execution context's own stream
#endif
  if (!stream) stream = Stream::Unwrap(info[0])->core(env);
  auto* call = new GateCall{gate, stream};
  cudaError_t status = cudaLaunchHostFunc(stream->handle, &WaitAtGate, call);
  if (status != cudaSuccess) {
    delete call;
    throw CudaError(env, status, "cudaLaunchHostFunc");
  }
  AddonState::Get(env)->gates.push_back(gate);
  return Napi::Function::New(env, [gate](const Napi::CallbackInfo& release) {
    gate->Open();
    return release.Env().Undefined();
  });
}

}  // namespace

void InitStreamGate(Napi::Env env, Napi::Object exports) {
  Napi::Object testing = Napi::Object::New(env);
  testing.Set("gateStream", Napi::Function::New<GateStream>(env, "gateStream"));
  InitKernelFault(env, testing);
  InitHeapStats(env, testing);
  exports.Set("testing", testing);
}

void OpenAllGates(AddonState* state) {
  for (const auto& weak : state->gates) {
    if (auto gate = std::static_pointer_cast<Gate>(weak.lock())) gate->Open();
  }
}

}  // namespace trtn
