// Per-environment state of the addon (main thread and each worker thread get their own), kept as
// Node-API instance data so the addon is context-aware.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

namespace trtn {

class CompletionQueue;
class PinnedRegistry;

struct AddonState {
  static AddonState* Get(Napi::Env env) { return env.GetInstanceData<AddonState>(); }

  Napi::FunctionReference error_class;
  Napi::FunctionReference stream_class;
  Napi::FunctionReference event_class;
  Napi::FunctionReference device_buffer_class;
  Napi::FunctionReference pinned_buffer_class;
  Napi::FunctionReference engine_class;
  Napi::FunctionReference context_class;

  std::unique_ptr<CompletionQueue> completions;
  std::unique_ptr<PinnedRegistry> pinned;

  // Simulator build only: gates that tests put on streams (testing/stream_gate.h).
  std::vector<std::weak_ptr<void>> gates;

  // Set once the environment is shutting down: no more JS calls (external memory accounting,
  // promise settlement) may be made from release paths.
  bool tearing_down = false;

  ~AddonState();
};

}  // namespace trtn
