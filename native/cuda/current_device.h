// CUDA's current device is per thread and defaults to 0: every thread that touches CUDA for an
// object (the JS thread, libuv pool workers, the release thread, the builder thread) makes that
// object's device current first, or its work silently lands on device 0.
#pragma once

#include <cuda_runtime_api.h>
#include <napi.h>

#include <string>

#include "errors.h"

namespace trtn {

// Makes `device` current on the calling thread; cheap when it already is (no cudaSetDevice call).
inline cudaError_t UseDevice(int device) {
  int current = -1;
  if (cudaGetDevice(&current) == cudaSuccess && current == device) return cudaSuccess;
  return cudaSetDevice(device);
}

// UseDevice on the JS thread, where a failure becomes the operation's ERR_CUDA error. The operation's
// name is spelled out only on failure: building it every time would be an allocation per run.
inline void UseDeviceOrThrow(Napi::Env env, int device) {
  if (cudaError_t status = UseDevice(device); status != cudaSuccess)
    CheckCuda(env, status, "cudaSetDevice(" + std::to_string(device) + ")");
}

}  // namespace trtn
