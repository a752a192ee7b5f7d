#include "errors.h"

#include "addon_state.h"

namespace trtn {

Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message, const std::string& details) {
  AddonState* state = AddonState::Get(env);
  if (state != nullptr && !state->error_class.IsEmpty()) {
    Napi::Object options = Napi::Object::New(env);
    if (!details.empty()) options.Set("details", details);
    Napi::Value error = state->error_class.New({Napi::String::New(env, code), Napi::String::New(env, message), options});
    return Napi::Error(env, error);
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  if (!details.empty()) error.Set("details", Napi::String::New(env, details));
  return error;
}

Napi::Error CudaError(Napi::Env env, cudaError_t status, const std::string& operation) {
  const std::string name = cudaGetErrorName(status);
  const std::string text = cudaGetErrorString(status);
  const char* code = status == cudaErrorMemoryAllocation ? ErrorCode::kOutOfMemory : ErrorCode::kCuda;
  return MakeError(env, code, operation + " failed: " + name + " (" + text + ")", name + ": " + text);
}

void CheckCuda(Napi::Env env, cudaError_t status, const std::string& operation) {
  if (status != cudaSuccess) throw CudaError(env, status, operation);
}

Napi::Error DisposedError(Napi::Env env, const char* what) {
  return MakeError(env, ErrorCode::kDisposed, std::string(what) + " has been disposed");
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  AddonState::Get(info.Env())->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace trtn
