// Simulator build only: testing.holdBuilds() makes every build's progress monitor wait after
// reporting a step until JS calls the returned release function. Tests use it to cancel a build
// mid-way, or to keep builds running while they check the libuv pool, without timing. A cancelled
// build does not wait. TRTN_SIM_HOLD_BUILDS=1 in the environment holds builds from the start (for
// tests of the CLI in a child process, which release them by cancelling, e.g. with Ctrl-C).
#pragma once

#include <napi.h>

#include <atomic>

namespace trtn {

void InitBuildGate(Napi::Env env, Napi::Object exports);
// Called by the progress monitor on the build thread: returns at once unless builds are held.
void WaitAtBuildGate(const std::atomic<bool>& cancelled);
// Wakes waiting builds so a cancelled one stops waiting.
void NotifyBuildGate();
// Releases held builds (environment teardown must never wait on a held build).
void OpenBuildGate();

}  // namespace trtn
