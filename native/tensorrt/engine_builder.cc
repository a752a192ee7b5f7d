#include "tensorrt/engine_builder.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>

#include "cuda/current_device.h"
#include "errors.h"
#include "promise_worker.h"
#include "tensorrt/dims.h"
#include "tensorrt/loader.h"
#include "tensorrt/logger.h"
#include "tensorrt/owned.h"
#include "tensorrt/progress_monitor.h"
#include "tensorrt/tensorrt_types.h"
#ifdef TRTN_SIMULATOR
#include "testing/build_gate.h"
#endif

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace trtn {

namespace {

struct ProfileInput {
  std::string name;
  nvinfer1::Dims dims[3];
  // A shape tensor input's min/opt/max values; empty for other inputs.
  std::vector<int64_t> values[3];
};

constexpr nvinfer1::OptProfileSelector kSelectors[3] = {nvinfer1::OptProfileSelector::kMIN, nvinfer1::OptProfileSelector::kOPT,
                                                        nvinfer1::OptProfileSelector::kMAX};

// IOptimizationProfile::setShapeValuesV2 (int64) since 10.11; setShapeValues (int32) before.
bool SetShapeValues(nvinfer1::IOptimizationProfile& profile, const std::string& name, int s, const std::vector<int64_t>& values) {
#if NV_TENSORRT_MAJOR > 10 || (NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR >= 11)
  return profile.setShapeValuesV2(name.c_str(), kSelectors[s], values.data(), static_cast<int32_t>(values.size()));
#else
  std::vector<int32_t> narrow;
  for (int64_t v : values) {
    if (v < INT32_MIN || v > INT32_MAX) return false;
    narrow.push_back(static_cast<int32_t>(v));
  }
  return profile.setShapeValues(name.c_str(), kSelectors[s], narrow.data(), static_cast<int32_t>(narrow.size()));
#endif
}

std::vector<int64_t> ToValues(Napi::Value list) {
  std::vector<int64_t> values;
  if (!list.IsArray()) return values;
  Napi::Array array = list.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); ++i) values.push_back(array.Get(i).As<Napi::Number>().Int64Value());
  return values;
}

struct BuildSettings {
  std::vector<std::vector<ProfileInput>> profiles;
  double workspace = 0;             // 0: TensorRT's default
  int32_t optimization_level = -1;  // -1: TensorRT's default
  nvinfer1::HardwareCompatibilityLevel hardware = nvinfer1::HardwareCompatibilityLevel::kNONE;
  bool version_compatible = false;
  bool exclude_lean_runtime = false;
  bool sparsity = false;
  int32_t max_aux_streams = -1;  // -1: TensorRT's heuristic
  std::vector<std::string> plugins;
  bool use_timing_cache = false;
  std::vector<uint8_t> timing_cache;
  std::string model_path;
  int device = 0;  // the GPU the engine is built (and its tactics timed) for
};

// What the build thread posts to the JS thread: a progress event, or the end of the build.
struct BuildMessage {
  bool done = false;
  BuildProgressEvent progress{BuildProgressEvent::Kind::kStart, "", "", 0};
};

class BuildJob;
void CallJs(Napi::Env env, Napi::Function, BuildJob* job, BuildMessage* message);
using BuildChannel = Napi::TypedThreadSafeFunction<BuildJob, BuildMessage, CallJs>;

class BuildJob {
 public:
  BuildJob(Napi::Env env, Napi::Uint8Array onnx, Napi::Function on_progress, BuildSettings settings)
      : deferred_(Napi::Promise::Deferred::New(env)),
        // A copy: the build thread reads it for minutes, while JS could detach or change the array.
        onnx_(onnx.Data(), onnx.Data() + onnx.ByteLength()),
        settings_(std::move(settings)),
        cancelled_(std::make_shared<std::atomic<bool>>(false)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }
  std::shared_ptr<std::atomic<bool>> cancelled() const { return cancelled_; }

  void Start(BuildChannel channel) {
    channel_ = channel;
    thread_ = std::thread([this] {
      try {
        // A new thread starts on device 0: the builder times its tactics on the current device.
        if (cudaError_t status = UseDevice(settings_.device); status != cudaSuccess) {
          cudaGetLastError();
          throw std::runtime_error("cudaSetDevice(" + std::to_string(settings_.device) + ") failed: " + cudaGetErrorName(status));
        }
        Run();
      } catch (const std::exception& e) {
        Fail(ErrorCode::kBuildFailed, std::string("The build failed: ") + e.what());
      }
      // Refused once the environment is going away: nobody is left to settle the promise.
      auto* done = new BuildMessage{true, {}};
      if (channel_.NonBlockingCall(done) != napi_ok) delete done;
      channel_.Release();
    });
  }

  // On the JS thread, once the channel is finalized (the build thread has released it, or the
  // environment is going away): the thread is finished or about to be.
  void Join() {
    cancelled_->store(true);
#ifdef TRTN_SIMULATOR
    NotifyBuildGate();
#endif
    if (thread_.joinable()) thread_.join();
  }

  void Deliver(Napi::Env env, const BuildMessage& message) {
    if (message.done) return Settle(env);
    if (on_progress_.IsEmpty()) return;
    const BuildProgressEvent& p = message.progress;
    const char* kind = p.kind == BuildProgressEvent::Kind::kStart ? "start" : p.kind == BuildProgressEvent::Kind::kStep ? "step" : "finish";
    try {
      on_progress_.Call({Napi::String::New(env, kind), Napi::String::New(env, p.phase), Napi::String::New(env, p.parent),
                         Napi::Number::New(env, p.value)});
    } catch (const Napi::Error&) {
      // lib/tensorrt/builder.ts catches what a user's onProgress throws; nothing reaches here.
    }
  }

 private:
  void Fail(const char* code, const std::string& message, const std::string& details = "") {
    code_ = code;
    message_ = message;
    details_ = details;
  }

  void Settle(Napi::Env env) {
    Napi::HandleScope scope(env);
    on_progress_.Reset();
    if (!code_.empty()) {
      deferred_.Reject(MakeError(env, code_.c_str(), message_, details_).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("plan", Napi::Buffer<uint8_t>::Copy(env, plan_.data(), plan_.size()));
    if (settings_.use_timing_cache) result.Set("timingCache", Napi::Buffer<uint8_t>::Copy(env, timing_cache_.data(), timing_cache_.size()));
    Napi::Array warnings = Napi::Array::New(env, warnings_.size());
    for (size_t i = 0; i < warnings_.size(); ++i) warnings.Set(static_cast<uint32_t>(i), warnings_[i]);
    result.Set("warnings", warnings);
    deferred_.Resolve(result);
  }

  // A failure TensorRT reported after the build was cancelled is the cancellation.
  void FailOrAbort(const std::string& message, const LogCapture& capture) {
    if (cancelled_->load()) return Fail(ErrorCode::kAborted, "The build was cancelled", capture.Text());
    Fail(ErrorCode::kBuildFailed, message, capture.Text());
  }

  void Run() {
    const TensorRTLibrary& lib = LoadTensorRT();
    if (!lib.available) return Fail(ErrorCode::kBackendUnavailable, "TensorRT is not available: " + lib.reason);
    if (!lib.builder_available) return Fail(ErrorCode::kBackendUnavailable, "The TensorRT builder is not available: " + lib.builder_reason);
    if (!lib.parser_available)
      return Fail(ErrorCode::kBackendUnavailable, "The TensorRT ONNX parser is not available: " + lib.parser_reason);
    std::string mismatch = HeaderLibraryMismatch(lib.version);
    if (!mismatch.empty()) return Fail(ErrorCode::kBackendUnavailable, mismatch);
    if (cancelled_->load()) return Fail(ErrorCode::kAborted, "The build was cancelled");
    LogCapture capture;
    nvinfer1::ILogger* logger = &TrtLogger::Instance();
    Owned<nvinfer1::IBuilder> builder(static_cast<nvinfer1::IBuilder*>(lib.create_infer_builder(logger, NV_TENSORRT_VERSION)));
    if (!builder) return Fail(ErrorCode::kBuildFailed, "TensorRT could not create a builder", capture.Text());
    // Plugins first: the parser resolves custom ops through the registry.
    for (const std::string& path : settings_.plugins) {
      if (builder->getPluginRegistry().loadLibrary(path.c_str()) == nullptr) {
        return Fail(ErrorCode::kBuildFailed, "TensorRT could not load the plugin library " + path, capture.Text());
      }
    }
#if NV_TENSORRT_MAJOR >= 11
    nvinfer1::NetworkDefinitionCreationFlags flags = 0;  // TensorRT 11 networks are always strongly typed
#else
    nvinfer1::NetworkDefinitionCreationFlags flags = 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
    Owned<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(flags));
    if (!network) return Fail(ErrorCode::kBuildFailed, "TensorRT could not create a network", capture.Text());
    Owned<nvonnxparser::IParser> parser(
        static_cast<nvonnxparser::IParser*>(lib.create_onnx_parser(network.get(), logger, NV_ONNX_PARSER_VERSION)));
    if (!parser) return Fail(ErrorCode::kBuildFailed, "TensorRT could not create an ONNX parser", capture.Text());
    // The model's path lets the parser find external data (weights in files next to the model).
    const char* model_path = settings_.model_path.empty() ? nullptr : settings_.model_path.c_str();
    if (!parser->parse(onnx_.data(), onnx_.size(), model_path)) {
      std::string details = capture.Text();
      for (int i = 0; i < parser->getNbErrors(); ++i) {
        const nvonnxparser::IParserError* error = parser->getError(i);
        details += std::string(details.empty() ? "" : "\n") + "[parser] " + error->desc();
        if (error->node() >= 0)
          details += std::string(" (node ") + std::to_string(error->node()) + " " + error->nodeName() + ": " + error->nodeOperator() + ")";
      }
      return Fail(ErrorCode::kBuildFailed, "TensorRT's ONNX parser rejected the model", details);
    }
    if (cancelled_->load()) return Fail(ErrorCode::kAborted, "The build was cancelled");
    Owned<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
    if (!config) return Fail(ErrorCode::kBuildFailed, "TensorRT could not create a builder config", capture.Text());
    if (!Configure(*builder, *config, capture)) return;

    Owned<nvinfer1::ITimingCache> timing_cache;
    if (settings_.use_timing_cache) {
      const std::vector<uint8_t>& blob = settings_.timing_cache;
      timing_cache.reset(config->createTimingCache(blob.empty() ? nullptr : blob.data(), blob.size()));
      if (!timing_cache && !blob.empty()) {
        // A cache only saves time: an unreadable one (another TensorRT version, damage) is replaced.
        warnings_.push_back("The timing cache could not be read and was replaced: " + capture.Text());
        timing_cache.reset(config->createTimingCache(nullptr, 0));
      }
      if (!timing_cache || !config->setTimingCache(*timing_cache, false)) {
        return Fail(ErrorCode::kBuildFailed, "TensorRT could not use the timing cache", capture.Text());
      }
    }

    BuildProgressMonitor monitor(
        [this](BuildProgressEvent event) {
          BuildMessage* message = new BuildMessage{false, std::move(event)};
          if (channel_.NonBlockingCall(message) != napi_ok) delete message;
        },
        cancelled_);
    config->setProgressMonitor(&monitor);
    Owned<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
    config->setProgressMonitor(nullptr);
    if (!plan || cancelled_->load()) return FailOrAbort("TensorRT could not build the engine" + MissingShapeValues(*network), capture);
    const uint8_t* bytes = static_cast<const uint8_t*>(plan->data());
    plan_.assign(bytes, bytes + plan->size());
    if (timing_cache) {
      Owned<nvinfer1::IHostMemory> serialized(timing_cache->serialize());
      if (!serialized) return Fail(ErrorCode::kBuildFailed, "TensorRT could not serialize the timing cache", capture.Text());
      const uint8_t* cache_bytes = static_cast<const uint8_t*>(serialized->data());
      timing_cache_.assign(cache_bytes, cache_bytes + serialized->size());
    }
  }

  // Why a build may have failed that the caller can fix: a shape tensor input (its values decide
  // shapes) that a profile gives no values for; TensorRT says so only in its log. "" when none.
  std::string MissingShapeValues(nvinfer1::INetworkDefinition& network) const {
    for (int32_t i = 0; i < network.getNbInputs(); ++i) {
      nvinfer1::ITensor* tensor = network.getInput(i);
      if (tensor == nullptr || !tensor->isShapeTensor()) continue;
      std::string name = tensor->getName();
      if (settings_.profiles.empty())
        return ": input \"" + name + "\" is a shape tensor, so TensorRT needs profiles that give the range of its values (values)";
      for (size_t p = 0; p < settings_.profiles.size(); ++p) {
        bool given = false;
        for (const ProfileInput& input : settings_.profiles[p]) given = given || (input.name == name && !input.values[0].empty());
        if (!given)
          return ": input \"" + name + "\" is a shape tensor and profile " + std::to_string(p) + " gives no range of its values (values)";
      }
    }
    return "";
  }

  bool Configure(nvinfer1::IBuilder& builder, nvinfer1::IBuilderConfig& config, const LogCapture& capture) {
    if (settings_.workspace > 0) config.setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, static_cast<size_t>(settings_.workspace));
    if (settings_.optimization_level >= 0) config.setBuilderOptimizationLevel(settings_.optimization_level);
    config.setHardwareCompatibilityLevel(settings_.hardware);
    if (settings_.version_compatible) config.setFlag(nvinfer1::BuilderFlag::kVERSION_COMPATIBLE);
    if (settings_.version_compatible && settings_.exclude_lean_runtime) config.setFlag(nvinfer1::BuilderFlag::kEXCLUDE_LEAN_RUNTIME);
    if (settings_.sparsity) config.setFlag(nvinfer1::BuilderFlag::kSPARSE_WEIGHTS);
    if (settings_.max_aux_streams >= 0) config.setMaxAuxStreams(settings_.max_aux_streams);
    for (size_t p = 0; p < settings_.profiles.size(); ++p) {
      nvinfer1::IOptimizationProfile* profile = builder.createOptimizationProfile();  // owned by the builder
      if (!profile) {
        Fail(ErrorCode::kBuildFailed, "TensorRT could not create an optimization profile", capture.Text());
        return false;
      }
      for (const ProfileInput& input : settings_.profiles[p]) {
        for (int s = 0; s < 3; ++s) {
          if (!profile->setDimensions(input.name.c_str(), kSelectors[s], input.dims[s])) {
            Fail(ErrorCode::kBuildFailed, "TensorRT rejected the dimensions of \"" + input.name + "\" in profile " + std::to_string(p),
                 capture.Text());
            return false;
          }
          if (!input.values[s].empty() && !SetShapeValues(*profile, input.name, s, input.values[s])) {
            Fail(ErrorCode::kBuildFailed, "TensorRT rejected the shape values of \"" + input.name + "\" in profile " + std::to_string(p),
                 capture.Text());
            return false;
          }
        }
      }
      if (config.addOptimizationProfile(profile) < 0) {
        Fail(ErrorCode::kBuildFailed, "TensorRT rejected optimization profile " + std::to_string(p), capture.Text());
        return false;
      }
    }
    return true;
  }

  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
  std::vector<uint8_t> onnx_;
  BuildSettings settings_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  BuildChannel channel_;
  std::thread thread_;
  std::string code_, message_, details_;
  std::vector<uint8_t> plan_, timing_cache_;
  std::vector<std::string> warnings_;
};

void CallJs(Napi::Env env, Napi::Function, BuildJob* job, BuildMessage* message) {
  std::unique_ptr<BuildMessage> owned(message);
  if (env == nullptr || job == nullptr || message == nullptr) return;  // the environment is going away
  job->Deliver(env, *message);
}

void FinalizeJob(Napi::Env, void*, BuildJob* job) {
  job->Join();
  delete job;
}

nvinfer1::HardwareCompatibilityLevel HardwareLevel(const std::string& name) {
  if (name == "ampere+") return nvinfer1::HardwareCompatibilityLevel::kAMPERE_PLUS;
  if (name == "same-compute-capability") return nvinfer1::HardwareCompatibilityLevel::kSAME_COMPUTE_CAPABILITY;
  return nvinfer1::HardwareCompatibilityLevel::kNONE;
}

BuildSettings ReadSettings(Napi::Object options) {
  BuildSettings s;
  if (options.Has("profiles")) {
    Napi::Array list = options.Get("profiles").As<Napi::Array>();
    for (uint32_t p = 0; p < list.Length(); ++p) {
      Napi::Object profile = list.Get(p).As<Napi::Object>();
      Napi::Array names = profile.GetPropertyNames();
      std::vector<ProfileInput> inputs;
      for (uint32_t i = 0; i < names.Length(); ++i) {
        std::string name = names.Get(i).As<Napi::String>().Utf8Value();
        Napi::Object range = profile.Get(name).As<Napi::Object>();
        ProfileInput input{name,
                           {ToDims(range.Get("min").As<Napi::Array>()), ToDims(range.Get("opt").As<Napi::Array>()),
                            ToDims(range.Get("max").As<Napi::Array>())},
                           {}};
        if (range.Get("values").IsObject()) {
          Napi::Object values = range.Get("values").As<Napi::Object>();
          input.values[0] = ToValues(values.Get("min"));
          input.values[1] = ToValues(values.Get("opt"));
          input.values[2] = ToValues(values.Get("max"));
        }
        inputs.push_back(std::move(input));
      }
      s.profiles.push_back(std::move(inputs));
    }
  }
  auto number = [&](const char* key, double fallback) {
    Napi::Value v = options.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
  };
  s.workspace = number("workspaceBytes", 0);
  s.optimization_level = static_cast<int32_t>(number("optimizationLevel", -1));
  s.max_aux_streams = static_cast<int32_t>(number("maxAuxStreams", -1));
  s.device = static_cast<int>(number("device", 0));
  Napi::Value hardware = options.Get("hardwareCompatibility");
  if (hardware.IsString()) s.hardware = HardwareLevel(hardware.As<Napi::String>().Utf8Value());
  s.version_compatible = options.Get("versionCompatible").ToBoolean().Value();
  s.exclude_lean_runtime = options.Get("excludeLeanRuntime").ToBoolean().Value();
  s.sparsity = options.Get("sparsity").ToBoolean().Value();
  Napi::Value plugins = options.Get("plugins");
  if (plugins.IsArray()) {
    Napi::Array list = plugins.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) s.plugins.push_back(list.Get(i).As<Napi::String>().Utf8Value());
  }
  Napi::Value cache = options.Get("timingCache");
  if (cache.IsTypedArray()) {
    Napi::Uint8Array bytes = cache.As<Napi::Uint8Array>();
    s.use_timing_cache = true;
    s.timing_cache.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  }
  Napi::Value path = options.Get("modelPath");
  if (path.IsString()) s.model_path = path.As<Napi::String>().Utf8Value();
  return s;
}

class MergeWorker : public PromiseWorker {
 public:
  MergeWorker(Napi::Env env, Napi::Uint8Array ours, Napi::Uint8Array theirs)
      : PromiseWorker(env, "tensorrt-node:mergeTimingCaches"),
        ours_(ours.Data(), ours.Data() + ours.ByteLength()),
        theirs_(theirs.Data(), theirs.Data() + theirs.ByteLength()) {}

  void Execute() override {
    const TensorRTLibrary& lib = LoadTensorRT();
    if (!lib.available) return Fail(ErrorCode::kBackendUnavailable, "TensorRT is not available: " + lib.reason);
    LogCapture capture;
    Owned<nvinfer1::IBuilder> builder(
        static_cast<nvinfer1::IBuilder*>(lib.create_infer_builder(&TrtLogger::Instance(), NV_TENSORRT_VERSION)));
    if (!builder) return Fail(ErrorCode::kBuildFailed, "TensorRT could not create a builder", capture.Text());
    Owned<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
    if (!config) return Fail(ErrorCode::kBuildFailed, "TensorRT could not create a builder config", capture.Text());
    Owned<nvinfer1::ITimingCache> ours(config->createTimingCache(ours_.data(), ours_.size()));
    if (!ours) return Fail(ErrorCode::kBuildFailed, "TensorRT could not read the timing cache it just wrote", capture.Text());
    Owned<nvinfer1::ITimingCache> theirs(theirs_.empty() ? nullptr : config->createTimingCache(theirs_.data(), theirs_.size()));
    // What TensorRT cannot combine (unreadable, another device or version) is dropped: ours is whole.
    if (theirs) ours->combine(*theirs, false);
    Owned<nvinfer1::IHostMemory> merged(ours->serialize());
    if (!merged) return Fail(ErrorCode::kBuildFailed, "TensorRT could not serialize the timing cache", capture.Text());
    const uint8_t* bytes = static_cast<const uint8_t*>(merged->data());
    result_.assign(bytes, bytes + merged->size());
  }

  Napi::Value Result(Napi::Env env) override { return Napi::Buffer<uint8_t>::Copy(env, result_.data(), result_.size()); }

 private:
  std::vector<uint8_t> ours_, theirs_, result_;
};

}  // namespace

Napi::Value MergeTimingCaches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (int i = 0; i < 2; ++i) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw MakeError(env, ErrorCode::kInvalidArgument, i == 0 ? "Expected a Uint8Array for ours" : "Expected a Uint8Array for theirs");
    }
  }
  auto* worker = new MergeWorker(env, info[0].As<Napi::Uint8Array>(), info[1].As<Napi::Uint8Array>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value BuildEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw MakeError(env, ErrorCode::kInvalidArgument, "Expected a Uint8Array for onnx");
  }
  Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  Napi::Function on_progress = info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
  auto* job = new BuildJob(env, info[0].As<Napi::Uint8Array>(), on_progress, ReadSettings(options));
  BuildChannel channel = BuildChannel::New(env, "tensorrt-node:buildEngine", 0, 1, job, FinalizeJob, static_cast<void*>(nullptr));
  std::shared_ptr<std::atomic<bool>> cancelled = job->cancelled();
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", job->Promise());
  handle.Set("cancel", Napi::Function::New(
                           env,
                           [cancelled](const Napi::CallbackInfo&) {
                             cancelled->store(true);
#ifdef TRTN_SIMULATOR
                             NotifyBuildGate();  // a build held by the test gate stops waiting
#endif
                           },
                           "cancel"));
  job->Start(channel);
  return handle;
}

}  // namespace trtn
