// Simulator build only: testing.gateStream(stream or execution context) enqueues a host function that holds the
// stream until JS calls the returned release function. Tests use it to keep work in flight
// deterministically (dispose, GC and worker termination during copies) without timing.
#pragma once

#include <napi.h>

namespace trtn {

void InitStreamGate(Napi::Env env, Napi::Object exports);
// Opens every gate of this environment (environment teardown must never wait on a closed gate).
struct AddonState;
void OpenAllGates(AddonState* state);

}  // namespace trtn
