// Engine: a deserialized TensorRT engine exposed to JS. Engine.load deserializes on the libuv pool
// and lets TensorRT decide; when it refuses, its log and the plan header word the error
// (plan_failure.h: ERR_ENGINE_INCOMPATIBLE or ERR_ENGINE_CORRUPT). Execution contexts keep the engine's
// core alive, and the core keeps its runtime alive, so JS may drop an engine before its contexts.
#pragma once

#include <NvInferRuntime.h>
#include <napi.h>

#include <memory>

#include "tensorrt/owned.h"

namespace trtn {

struct RuntimeCore {
  Owned<nvinfer1::IRuntime> runtime;
};

struct EngineCore {
  std::shared_ptr<RuntimeCore> runtime;
  Owned<nvinfer1::ICudaEngine> engine;
  int device = 0;  // where it was deserialized: its contexts, streams and memory live there too
  EngineCore() = default;
  EngineCore(const EngineCore&) = delete;  // owns its handle: a copy would free it twice
  EngineCore& operator=(const EngineCore&) = delete;
  ~EngineCore();
};

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // `plan_bytes` stands for the engine's device-resident weights in V8's external memory count.
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<EngineCore> core, size_t plan_bytes);

  explicit Engine(const Napi::CallbackInfo& info);
  ~Engine() override;

 private:
  const std::shared_ptr<EngineCore>& core(Napi::Env env) const;
  Napi::Value Metadata(const Napi::CallbackInfo& info);
  Napi::Value CreateContext(const Napi::CallbackInfo& info);
  Napi::Value Serialize(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);

  std::shared_ptr<EngineCore> core_;
  int64_t reported_bytes_ = 0;
};

// The input whose memory TensorRT updates in place for output `name` (a KV cache update), or
// nullptr. TensorRT has in-place layers, and reports them, since 10.15.
inline const char* AliasedInputOf(const nvinfer1::ICudaEngine& engine, const char* name) {
#if NV_TENSORRT_MAJOR > 10 || (NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR >= 15)
  return engine.getAliasedInputTensor(name);
#else
  (void)engine;
  (void)name;
  return nullptr;
#endif
}

// JS-facing: loadEngine(plan: Uint8Array, allowHostCode: boolean, device: number): Promise<Engine>.
Napi::Value LoadEngine(const Napi::CallbackInfo& info);

}  // namespace trtn
