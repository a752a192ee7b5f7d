#include "testing/kernel_fault.h"

#include <cuda_runtime_api.h>
#include <trtn_sim_faults.h>

#include <string>

#include "errors.h"

namespace trtn {
namespace {

Napi::Value ArmKernelFault(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  // CUDA's error codes are small integers; find the one with this name.
  for (int code = 1; code < 1000; ++code) {
    if (name == cudaGetErrorName(static_cast<cudaError_t>(code))) {
      trtnSimArmKernelFault(static_cast<cudaError_t>(code));
      return env.Undefined();
    }
  }
  throw MakeError(env, ErrorCode::kInvalidArgument, "Expected a CUDA error name for errorName but received " + name);
}

}  // namespace

void InitKernelFault(Napi::Env env, Napi::Object testing) {
  testing.Set("armKernelFault", Napi::Function::New<ArmKernelFault>(env, "armKernelFault"));
}

}  // namespace trtn
