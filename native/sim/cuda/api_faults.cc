// Device-fault entry points of the simulator (see include/trtn_sim_faults.h).
#include "trtn_sim_faults.h"

#include <atomic>

#include "sim_state.h"

using namespace trtn::cudasim;

namespace {
std::atomic<int> g_armed{cudaSuccess};
}  // namespace

void trtnSimArmKernelFault(cudaError_t error) { g_armed.store(error); }

cudaError_t trtnSimTakeKernelFault(void) { return static_cast<cudaError_t>(g_armed.exchange(cudaSuccess)); }

void trtnSimRaiseKernelFault(cudaError_t error) {
  if (error != cudaSuccess) raise_sticky_error(error);
}
