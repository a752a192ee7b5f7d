// Module init. The addon is context-aware: every environment (main thread, each worker thread)
// gets its own AddonState as instance data, and an environment cleanup hook releases what that
// environment still holds when it shuts down.
#include <napi.h>

#include "addon_state.h"
#include "cuda/completion.h"
#include "cuda/device_buffer.h"
#include "cuda/devices.h"
#include "cuda/event.h"
#include "cuda/host_staging.h"
#include "cuda/pinned_buffer.h"
#include "cuda/stream.h"
#include "errors.h"
#include "tensorrt/info.h"
#include "tensorrt/module.h"
#ifdef TRTN_SIMULATOR
#include "testing/build_gate.h"
#include "testing/sim_plan.h"
#include "testing/stream_gate.h"
#endif

namespace trtn {

AddonState::~AddonState() = default;

namespace {

void OnEnvironmentCleanup(AddonState* state) {
  state->tearing_down = true;
#ifdef TRTN_SIMULATOR
  OpenAllGates(state);
  OpenBuildGate();
#endif
  state->completions->Teardown();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* state = new AddonState();
  env.SetInstanceData<AddonState>(state);
  state->completions = std::make_unique<CompletionQueue>(env);
  state->pinned = std::make_unique<PinnedRegistry>();
  state->staging = std::make_unique<StagingPool>();
  // Added after the completion queue's thread-safe function, so it runs before Node closes it.
  env.AddCleanupHook(OnEnvironmentCleanup, state);

  exports.Set("setErrorClass", Napi::Function::New<SetErrorClass>(env, "setErrorClass"));
#ifdef TRTN_SIMULATOR
  exports.Set("simulator", Napi::Boolean::New(env, true));
#else
  exports.Set("simulator", Napi::Boolean::New(env, false));
#endif
  exports.Set("cudaHeadersVersion", Napi::Number::New(env, CUDART_VERSION));
  InitDevices(env, exports);
  Stream::Init(env, exports);
  Event::Init(env, exports);
  DeviceBuffer::Init(env, exports);
  PinnedBuffer::Init(env, exports);
  InitTensorRTInfo(env, exports);
  InitTensorRTRuntime(env, exports);
#ifdef TRTN_SIMULATOR
  InitStreamGate(env, exports);
  InitBuildGate(env, exports);
  InitSimPlan(env, exports);
#endif
  return exports;
}

}  // namespace
}  // namespace trtn

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return trtn::Init(env, exports); }

NODE_API_MODULE(tensorrt_node, InitAddon)
