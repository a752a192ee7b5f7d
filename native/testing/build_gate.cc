#include "testing/build_gate.h"

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace trtn {
namespace {

std::mutex gate_mutex;
std::condition_variable gate_changed;
bool held = false;

Napi::Value HoldBuilds(const Napi::CallbackInfo& info) {
  {
    std::lock_guard<std::mutex> lock(gate_mutex);
    held = true;
  }
  return Napi::Function::New(
      info.Env(), [](const Napi::CallbackInfo&) { OpenBuildGate(); }, "releaseBuilds");
}

}  // namespace

void WaitAtBuildGate(const std::atomic<bool>& cancelled) {
  std::unique_lock<std::mutex> lock(gate_mutex);
  gate_changed.wait(lock, [&] { return !held || cancelled.load(); });
}

void NotifyBuildGate() {
  // Taking the mutex orders the caller's cancelled store before the waiters' predicate check.
  { std::lock_guard<std::mutex> lock(gate_mutex); }
  gate_changed.notify_all();
}

void OpenBuildGate() {
  {
    std::lock_guard<std::mutex> lock(gate_mutex);
    held = false;
  }
  gate_changed.notify_all();
}

void InitBuildGate(Napi::Env env, Napi::Object exports) {
  const char* hold = std::getenv("TRTN_SIM_HOLD_BUILDS");
  if (hold != nullptr && std::strcmp(hold, "1") == 0) {
    std::lock_guard<std::mutex> lock(gate_mutex);
    held = true;
  }
  Napi::Value testing = exports.Get("testing");
  Napi::Object object = testing.IsObject() ? testing.As<Napi::Object>() : Napi::Object::New(env);
  object.Set("holdBuilds", Napi::Function::New<HoldBuilds>(env, "holdBuilds"));
  exports.Set("testing", object);
}

}  // namespace trtn
