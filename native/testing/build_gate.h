// Simulator build only: testing.holdBuilds() makes every build's progress monitor wait after
// reporting a step until JS calls the returned release function. Tests use it to cancel a build
// mid-way, or to keep builds running while they check the libuv pool, without timing.
#pragma once

#include <napi.h>

namespace trtn {

void InitBuildGate(Napi::Env env, Napi::Object exports);
// Called by the progress monitor on the build thread: returns at once unless builds are held.
void WaitAtBuildGate();
// Releases held builds (environment teardown must never wait on a held build).
void OpenBuildGate();

}  // namespace trtn
