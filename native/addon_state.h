// Per-environment state of the addon (main thread and each worker thread get their own), kept as
// Node-API instance data so the addon is context-aware.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

namespace trtn {

class CompletionQueue;
class PinnedRegistry;
class StagingPool;

struct AddonState {
  static AddonState* Get(Napi::Env env) { return env.GetInstanceData<AddonState>(); }
  // For finalizers and destructors, which must never throw: nullptr when unavailable.
  static AddonState* TryGet(napi_env env) {
    void* data = nullptr;
    return napi_get_instance_data(env, &data) == napi_ok ? static_cast<AddonState*>(data) : nullptr;
  }

  // Tells V8 about native memory owned by JS objects; never throws (used from finalizers too).
  static void AdjustExternalMemory(napi_env env, int64_t change) {
    int64_t total = 0;
    napi_adjust_external_memory(env, change, &total);
  }

  Napi::FunctionReference error_class;
  Napi::FunctionReference stream_class;
  Napi::FunctionReference event_class;
  Napi::FunctionReference device_buffer_class;
  Napi::FunctionReference pinned_buffer_class;
  Napi::FunctionReference engine_class;
  Napi::FunctionReference context_class;

  std::unique_ptr<CompletionQueue> completions;
  std::unique_ptr<PinnedRegistry> pinned;
  std::unique_ptr<StagingPool> staging;

  // Simulator build only: gates that tests put on streams (testing/stream_gate.h).
  std::vector<std::weak_ptr<void>> gates;

  // Set once the environment is shutting down: no more JS calls (external memory accounting,
  // promise settlement) may be made from release paths.
  bool tearing_down = false;

  ~AddonState();
};

}  // namespace trtn
