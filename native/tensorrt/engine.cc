#include "tensorrt/engine.h"

#include "addon_state.h"
#include "cuda/current_device.h"
#include "cuda/deferred_release.h"
#include "errors.h"
#include "promise_worker.h"
#include "tensorrt/dims.h"
#include "tensorrt/execution_context.h"
#include "tensorrt/loader.h"
#include "tensorrt/logger.h"
#include "tensorrt/plan_failure.h"
#include "tensorrt/plan_header.h"
#include "tensorrt/tensorrt_types.h"

#include <string>

namespace trtn {

EngineCore::~EngineCore() {
  // Freeing an engine's weights synchronizes the device: done on the release thread. The engine
  // goes before its runtime, as TensorRT requires.
  ReleaseLater(
      [engine = std::make_shared<Owned<nvinfer1::ICudaEngine>>(std::move(engine)), runtime = std::move(runtime)]() mutable {
        engine->reset();
        runtime.reset();
      },
      device);
}

namespace {

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Uint8Array plan, bool allow_host_code, int device)
      : PromiseWorker(env, "tensorrt-node:loadEngine"),
        plan_ref_(Napi::Persistent(plan)),
        data_(plan.Data()),
        size_(plan.ByteLength()),
        allow_host_code_(allow_host_code),
        device_(device) {}

  void Execute() override {
    const TensorRTLibrary& lib = LoadTensorRT();
    if (!lib.available) return Fail(ErrorCode::kBackendUnavailable, "TensorRT is not available: " + lib.reason);
    std::string mismatch = HeaderLibraryMismatch(lib.version);
    if (!mismatch.empty()) return Fail(ErrorCode::kBackendUnavailable, mismatch);

    // A pool thread's current device is whatever its last task left: the engine's weights and
    // kernels go to the device current while deserializing.
    if (cudaError_t status = UseDevice(device_); status != cudaSuccess) {
      cudaGetLastError();
      return Fail(ErrorCode::kCuda, "cudaSetDevice(" + std::to_string(device_) + ") failed: " + cudaGetErrorName(status) + " (" +
                                        cudaGetErrorString(status) + ")");
    }
    // TensorRT alone decides whether a plan loads: the header is read only to explain a refusal.
    LogCapture capture;
    auto runtime = std::make_shared<RuntimeCore>();
    runtime->runtime.reset(static_cast<nvinfer1::IRuntime*>(
        lib.create_infer_runtime(static_cast<nvinfer1::ILogger*>(&TrtLogger::Instance()), NV_TENSORRT_VERSION)));
    if (runtime->runtime == nullptr) {
      return Fail(ErrorCode::kBackendUnavailable, "TensorRT could not create a runtime", capture.Text());
    }
    runtime->runtime->setEngineHostCodeAllowed(allow_host_code_);
    static const uint8_t kNoBytes = 0;  // an empty Uint8Array may have no data pointer
    Owned<nvinfer1::ICudaEngine> engine(runtime->runtime->deserializeCudaEngine(data_ != nullptr ? data_ : &kNoBytes, size_));
    if (engine == nullptr) {
      PlanFailureContext context;
      context.header = ReadPlanHeader(data_, size_);
      context.library = UnpackLibraryVersion(lib.version, lib.build);
      context.log = capture.Text();
      context.allow_host_code = allow_host_code_;
      context.plugins = lib.PluginState();
      PlanFailure failure = DiagnosePlanFailure(context);
      return Fail(failure.code, failure.message, context.log);
    }
    core_ = std::make_shared<EngineCore>();
    core_->runtime = std::move(runtime);
    core_->engine = std::move(engine);
    core_->device = device_;
  }

  Napi::Value Result(Napi::Env env) override { return Engine::Wrap(env, std::move(core_), size_); }

 private:
  Napi::Reference<Napi::Uint8Array> plan_ref_;  // the caller's bytes are read in place on the pool thread
  const uint8_t* data_;
  size_t size_;
  bool allow_host_code_;
  int device_;
  std::shared_ptr<EngineCore> core_;
};

}  // namespace

void Engine::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "Engine",
                                   {InstanceMethod<&Engine::Metadata>("metadata"), InstanceMethod<&Engine::CreateContext>("createContext"),
                                    InstanceMethod<&Engine::Serialize>("serialize"), InstanceMethod<&Engine::Dispose>("dispose"),
                                    InstanceMethod<&Engine::IsDisposed>("isDisposed")});
  AddonState::Get(env)->engine_class = Napi::Persistent(cls);
  exports.Set("loadEngine", Napi::Function::New<LoadEngine>(env, "loadEngine"));
}

Napi::Object Engine::Wrap(Napi::Env env, std::shared_ptr<EngineCore> core, size_t plan_bytes) {
  Napi::Object object = AddonState::Get(env)->engine_class.New({});
  Engine* engine = Unwrap(object);
  engine->core_ = std::move(core);
  engine->reported_bytes_ = static_cast<int64_t>(plan_bytes);
  Napi::MemoryManagement::AdjustExternalMemory(env, engine->reported_bytes_);
  return object;
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {}

Engine::~Engine() { Release(Env()); }

void Engine::Release(Napi::Env env) {
  core_.reset();  // contexts still alive hold their own reference
  AddonState* state = AddonState::Get(env);
  if (reported_bytes_ != 0 && state != nullptr && !state->tearing_down) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -reported_bytes_);
  }
  reported_bytes_ = 0;
}

const std::shared_ptr<EngineCore>& Engine::core(Napi::Env env) const {
  if (!core_) throw DisposedError(env, "Engine");
  return core_;
}

Napi::Value Engine::Metadata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  nvinfer1::ICudaEngine& engine = *core(env)->engine;
  Napi::Object result = Napi::Object::New(env);
  Napi::Array tensors = Napi::Array::New(env);
  std::vector<std::string> inputs;
  int32_t count = engine.getNbIOTensors();
  for (int32_t i = 0; i < count; ++i) {
    const char* name = engine.getIOTensorName(i);
    Napi::Object tensor = Napi::Object::New(env);
    bool input = engine.getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT;
    if (input) inputs.push_back(name);
    tensor.Set("name", name);
    tensor.Set("mode", input ? "input" : "output");
    tensor.Set("dtype", DataTypeName(engine.getTensorDataType(name)));
    tensor.Set("shape", DimsToArray(env, engine.getTensorShape(name)));
    tensor.Set("linear", Napi::Boolean::New(env, engine.getTensorFormat(name) == nvinfer1::TensorFormat::kLINEAR));
    const char* format = engine.getTensorFormatDesc(name);
    tensor.Set("format", format ? format : "");
    tensor.Set("location", engine.getTensorLocation(name) == nvinfer1::TensorLocation::kHOST ? "host" : "device");
    const char* alias = input ? nullptr : AliasedInputOf(engine, name);
    if (alias != nullptr) tensor.Set("aliasOf", alias);
    tensors.Set(static_cast<uint32_t>(i), tensor);
  }
  result.Set("tensors", tensors);
  Napi::Array profiles = Napi::Array::New(env);
  for (int32_t p = 0; p < engine.getNbOptimizationProfiles(); ++p) {
    Napi::Object profile = Napi::Object::New(env);
    for (const std::string& name : inputs) {
      Napi::Object range = Napi::Object::New(env);
      range.Set("min", DimsToArray(env, engine.getProfileShape(name.c_str(), p, nvinfer1::OptProfileSelector::kMIN)));
      range.Set("opt", DimsToArray(env, engine.getProfileShape(name.c_str(), p, nvinfer1::OptProfileSelector::kOPT)));
      range.Set("max", DimsToArray(env, engine.getProfileShape(name.c_str(), p, nvinfer1::OptProfileSelector::kMAX)));
      profile.Set(name, range);
    }
    profiles.Set(static_cast<uint32_t>(p), profile);
  }
  result.Set("profiles", profiles);
  result.Set("deviceMemorySize", Napi::Number::New(env, static_cast<double>(engine.getDeviceMemorySizeV2())));
  Napi::Array per_profile = Napi::Array::New(env);
  for (int32_t p = 0; p < engine.getNbOptimizationProfiles(); ++p) {
    per_profile.Set(static_cast<uint32_t>(p), Napi::Number::New(env, static_cast<double>(engine.getDeviceMemorySizeForProfileV2(p))));
  }
  result.Set("deviceMemorySizePerProfile", per_profile);
  result.Set("layers", Napi::Number::New(env, engine.getNbLayers()));
  const char* engine_name = engine.getName();
  result.Set("name", engine_name ? engine_name : "");
  LibraryVersion lib = UnpackLibraryVersion(LoadTensorRT().version);
  result.Set("tensorrtVersion", lib.Version());
  return result;
}

Napi::Value Engine::CreateContext(const Napi::CallbackInfo& info) {
  bool cuda_graph = info[0].IsObject() && info[0].As<Napi::Object>().Get("cudaGraph").ToBoolean().Value();
  bool user_managed = info[0].IsObject() && info[0].As<Napi::Object>().Get("deviceMemory").ToString().Utf8Value() == "on-demand";
  return ExecutionContext::Create(info.Env(), core(info.Env()), cuda_graph, user_managed);
}

Napi::Value Engine::Serialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LogCapture capture;
  Owned<nvinfer1::IHostMemory> memory(core(env)->engine->serialize());
  if (memory == nullptr) throw MakeError(env, ErrorCode::kInferenceFailed, "TensorRT could not serialize the engine", capture.Text());
  Napi::Buffer<uint8_t> bytes = Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(memory->data()), memory->size());
  return bytes;
}

Napi::Value Engine::Dispose(const Napi::CallbackInfo& info) {
  Release(info.Env());
  return info.Env().Undefined();
}

Napi::Value Engine::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !core_); }

Napi::Value LoadEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw MakeError(env, ErrorCode::kInvalidArgument, "Expected a Uint8Array for plan");
  }
  auto* worker = new LoadWorker(env, info[0].As<Napi::Uint8Array>(), info[1].ToBoolean().Value(),
                                info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace trtn
