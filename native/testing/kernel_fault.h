// Simulator build only: testing.armKernelFault(errorName) makes the next simulated kernel (a run
// of the simulated TensorRT's executor) fail with that CUDA error, as a faulting kernel would:
// the CUDA context then has a sticky error. Tests run it in a process of their own.
#pragma once

#include <napi.h>

namespace trtn {

void InitKernelFault(Napi::Env env, Napi::Object testing);

}  // namespace trtn
