// Registers the TensorRT runtime's JS surface: loadEngine, buildEngine, Engine,
// ExecutionContext and the logger hook.
#pragma once

#include <napi.h>

namespace trtn {

void InitTensorRTRuntime(Napi::Env env, Napi::Object exports);

}  // namespace trtn
