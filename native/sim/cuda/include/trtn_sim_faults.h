// Simulator only: device faults. On a GPU a kernel that fails (an illegal address, an assert)
// leaves the CUDA context with a sticky error; the simulator's stand-ins for device code (the
// simulated TensorRT's executor) report such failures here, and tests arm one on purpose.
#pragma once

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

// Test hook: the next stand-in kernel to start fails with `error` (e.g. cudaErrorIllegalAddress).
void trtnSimArmKernelFault(cudaError_t error);

// Called by a stand-in kernel as it starts, on a stream worker: the armed fault (consumed), or
// cudaSuccess.
cudaError_t trtnSimTakeKernelFault(void);

// A stand-in kernel failed with `error`: the context now has that sticky error. Work queued behind
// it is skipped, callbacks receive it and every API call returns it.
void trtnSimRaiseKernelFault(cudaError_t error);

#ifdef __cplusplus
}
#endif
