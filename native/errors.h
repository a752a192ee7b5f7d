// Turns native failures into the package's one JS error class, TensorRTNodeError, which JS hands
// to the addon at load time (setErrorClass). Codes are error_codes.h's
// (the strings of lib/errors.ts ErrorCode).
#pragma once

#include <cuda_runtime_api.h>
#include <napi.h>

#include <string>

#include "error_codes.h"

namespace trtn {

// Builds `new TensorRTNodeError(code, message, { details })`, or a plain Error carrying `code`
// and `details` when JS has not handed over the class yet.
Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message, const std::string& details = "");

// "cudaMalloc(1024 bytes) failed: cudaErrorMemoryAllocation (out of memory)", coded
// ERR_OUT_OF_MEMORY for allocation failures and ERR_CUDA otherwise; details carry name and text.
Napi::Error CudaError(Napi::Env env, cudaError_t status, const std::string& operation);

// Throws CudaError when status is not cudaSuccess.
void CheckCuda(Napi::Env env, cudaError_t status, const std::string& operation);

Napi::Error DisposedError(Napi::Env env, const char* what);

// JS-facing: setErrorClass(TensorRTNodeError).
Napi::Value SetErrorClass(const Napi::CallbackInfo& info);

}  // namespace trtn
