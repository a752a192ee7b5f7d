#include "tensorrt/engine_builder.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>

#include "errors.h"
#include "promise_worker.h"
#include "tensorrt/dims.h"
#include "tensorrt/loader.h"
#include "tensorrt/logger.h"
#include "tensorrt/tensorrt_types.h"

#include <memory>
#include <string>
#include <vector>

namespace trtn {

namespace {

struct ProfileInput {
  std::string name;
  nvinfer1::Dims dims[3];
};

template <typename T>
struct Deleter {
  void operator()(T* object) const { delete object; }
};
template <typename T>
using Owned = std::unique_ptr<T, Deleter<T>>;

class BuildWorker : public PromiseWorker {
 public:
  BuildWorker(Napi::Env env, Napi::Uint8Array onnx, std::vector<std::vector<ProfileInput>> profiles, bool version_compatible, double workspace)
      : PromiseWorker(env, "tensorrt-node:buildEngine"),
        onnx_ref_(Napi::Persistent(onnx)),
        data_(onnx.Data()),
        size_(onnx.ByteLength()),
        profiles_(std::move(profiles)),
        version_compatible_(version_compatible),
        workspace_(workspace) {}

  void Execute() override {
    const TensorRTLibrary& lib = LoadTensorRT();
    if (!lib.available) return Fail("ERR_BACKEND_UNAVAILABLE", "TensorRT is not available: " + lib.reason);
    if (!lib.builder_available) return Fail("ERR_BACKEND_UNAVAILABLE", "The TensorRT builder is not available: " + lib.builder_reason);
    if (!lib.parser_available) return Fail("ERR_BACKEND_UNAVAILABLE", "The TensorRT ONNX parser is not available: " + lib.parser_reason);
    std::string mismatch = HeaderLibraryMismatch(lib.version);
    if (!mismatch.empty()) return Fail("ERR_BACKEND_UNAVAILABLE", mismatch);
    LogCapture capture;
    nvinfer1::ILogger* logger = &TrtLogger::Instance();
    Owned<nvinfer1::IBuilder> builder(static_cast<nvinfer1::IBuilder*>(lib.create_infer_builder(logger, NV_TENSORRT_VERSION)));
    if (!builder) return Fail("ERR_BUILD_FAILED", "TensorRT could not create a builder", capture.Text());
#if NV_TENSORRT_MAJOR >= 11
    nvinfer1::NetworkDefinitionCreationFlags flags = 0;  // TensorRT 11 networks are always strongly typed
#else
    nvinfer1::NetworkDefinitionCreationFlags flags = 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
    Owned<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(flags));
    if (!network) return Fail("ERR_BUILD_FAILED", "TensorRT could not create a network", capture.Text());
    Owned<nvonnxparser::IParser> parser(static_cast<nvonnxparser::IParser*>(lib.create_onnx_parser(network.get(), logger, NV_ONNX_PARSER_VERSION)));
    if (!parser) return Fail("ERR_BUILD_FAILED", "TensorRT could not create an ONNX parser", capture.Text());
    if (!parser->parse(data_, size_)) {
      std::string details = capture.Text();
      for (int i = 0; i < parser->getNbErrors(); ++i) {
        const nvonnxparser::IParserError* error = parser->getError(i);
        details += std::string(details.empty() ? "" : "\n") + "[parser] " + error->desc();
        if (error->node() >= 0) details += std::string(" (node ") + std::to_string(error->node()) + " " + error->nodeName() + ": " + error->nodeOperator() + ")";
      }
      return Fail("ERR_BUILD_FAILED", "TensorRT's ONNX parser rejected the model", details);
    }
    Owned<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
    if (!config) return Fail("ERR_BUILD_FAILED", "TensorRT could not create a builder config", capture.Text());
    if (workspace_ > 0) config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, static_cast<size_t>(workspace_));
    if (version_compatible_) config->setFlag(nvinfer1::BuilderFlag::kVERSION_COMPATIBLE);
    for (size_t p = 0; p < profiles_.size(); ++p) {
      nvinfer1::IOptimizationProfile* profile = builder->createOptimizationProfile();  // owned by the builder
      if (!profile) return Fail("ERR_BUILD_FAILED", "TensorRT could not create an optimization profile", capture.Text());
      for (const ProfileInput& input : profiles_[p]) {
        const nvinfer1::OptProfileSelector selectors[3] = {nvinfer1::OptProfileSelector::kMIN, nvinfer1::OptProfileSelector::kOPT,
                                                           nvinfer1::OptProfileSelector::kMAX};
        for (int s = 0; s < 3; ++s) {
          if (!profile->setDimensions(input.name.c_str(), selectors[s], input.dims[s])) {
            return Fail("ERR_BUILD_FAILED", "TensorRT rejected the dimensions of \"" + input.name + "\" in profile " + std::to_string(p),
                        capture.Text());
          }
        }
      }
      if (config->addOptimizationProfile(profile) < 0) {
        return Fail("ERR_BUILD_FAILED", "TensorRT rejected optimization profile " + std::to_string(p), capture.Text());
      }
    }
    Owned<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
    if (!plan) return Fail("ERR_BUILD_FAILED", "TensorRT could not build the engine", capture.Text());
    const uint8_t* bytes = static_cast<const uint8_t*>(plan->data());
    plan_.assign(bytes, bytes + plan->size());
  }

  Napi::Value Result(Napi::Env env) override { return Napi::Buffer<uint8_t>::Copy(env, plan_.data(), plan_.size()); }

 private:
  Napi::Reference<Napi::Uint8Array> onnx_ref_;
  const uint8_t* data_;
  size_t size_;
  std::vector<std::vector<ProfileInput>> profiles_;
  bool version_compatible_;
  double workspace_;
  std::vector<uint8_t> plan_;
};

}  // namespace

Napi::Value BuildEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw MakeError(env, "ERR_INVALID_ARGUMENT", "Expected a Uint8Array for onnx");
  }
  Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  std::vector<std::vector<ProfileInput>> profiles;
  if (options.Has("profiles")) {
    Napi::Array list = options.Get("profiles").As<Napi::Array>();
    for (uint32_t p = 0; p < list.Length(); ++p) {
      Napi::Object profile = list.Get(p).As<Napi::Object>();
      Napi::Array names = profile.GetPropertyNames();
      std::vector<ProfileInput> inputs;
      for (uint32_t i = 0; i < names.Length(); ++i) {
        std::string name = names.Get(i).As<Napi::String>().Utf8Value();
        Napi::Object range = profile.Get(name).As<Napi::Object>();
        ProfileInput input{name, {ToDims(range.Get("min").As<Napi::Array>()), ToDims(range.Get("opt").As<Napi::Array>()),
                                  ToDims(range.Get("max").As<Napi::Array>())}};
        inputs.push_back(input);
      }
      profiles.push_back(std::move(inputs));
    }
  }
  bool version_compatible = options.Get("versionCompatible").ToBoolean().Value();
  double workspace = options.Get("workspaceBytes").IsNumber() ? options.Get("workspaceBytes").As<Napi::Number>().DoubleValue() : 0;
  auto* worker = new BuildWorker(env, info[0].As<Napi::Uint8Array>(), std::move(profiles), version_compatible, workspace);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace trtn
