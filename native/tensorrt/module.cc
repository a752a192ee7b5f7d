#include "tensorrt/module.h"

#if TRTN_HAVE_TENSORRT
#include "tensorrt/engine.h"
#include "tensorrt/engine_builder.h"
#include "tensorrt/execution_context.h"
#include "tensorrt/logger.h"
#endif

namespace trtn {

void InitTensorRTRuntime(Napi::Env env, Napi::Object exports) {
#if TRTN_HAVE_TENSORRT
  exports.Set("tensorrtHeaders", Napi::Boolean::New(env, true));
  Engine::Init(env, exports);
  ExecutionContext::Init(env, exports);
  exports.Set("buildEngine", Napi::Function::New<BuildEngine>(env, "buildEngine"));
  exports.Set("mergeTimingCaches", Napi::Function::New<MergeTimingCaches>(env, "mergeTimingCaches"));
  exports.Set("setTensorRTLogger", Napi::Function::New<SetTensorRTLogger>(env, "setTensorRTLogger"));
#else
  // Built without TensorRT headers (none were found at build time): the runtime classes are not
  // compiled in, and JS reports the TensorRT backend as unavailable for that reason.
  exports.Set("tensorrtHeaders", Napi::Boolean::New(env, false));
#endif
}

}  // namespace trtn
