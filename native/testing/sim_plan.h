// Simulator build only: testing.describeSimPlan(plan) returns what a simulator plan records about
// its build (builder flags, workspace, optimization level, hardware compatibility, aux streams,
// timing cache hits and misses, sparse layers, plugins), so tests check that options reached the
// builder. It asks the simulated libnvinfer the loader found.
#pragma once

#include <napi.h>

namespace trtn {

void InitSimPlan(Napi::Env env, Napi::Object exports);

}  // namespace trtn
