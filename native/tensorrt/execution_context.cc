#include "tensorrt/execution_context.h"

#include "addon_state.h"
#include "cuda/current_device.h"
#include "cuda/deferred_release.h"
#include "cuda/pinned_buffer.h"
#include "cuda/stream.h"
#include "errors.h"
#include "tensorrt/context_run.h"
#include "tensorrt/logger.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace trtn {

ContextCore::~ContextCore() {
  // Deleting a context and freeing its arena free device memory, which synchronizes the device:
  // done on the release thread, never on the JS thread. Graphs go first (their replays run the
  // context's work), the context before its engine and stream, which the release holds until then.
  std::vector<void*> blocks;
  for (ArenaBlock& block : arena) {
    if (block.base) blocks.push_back(block.base);
  }
  if (activation.base) blocks.push_back(activation.base);
  // std::function needs a copyable callable: the allocators travel behind a shared_ptr.
  auto owned_allocators = std::make_shared<std::vector<std::unique_ptr<ArenaOutputAllocator>>>(std::move(allocators));
  int device = engine->device;
  ReleaseLater(
      [context = std::make_shared<Owned<nvinfer1::IExecutionContext>>(std::move(context)), blocks = std::move(blocks), owned_allocators,
       engine = std::move(engine), stream = std::move(stream), graphs = graphs.Take()]() mutable {
        graphs.clear();
        context->reset();
        owned_allocators.reset();  // TensorRT may use them until the context is gone
        for (void* block : blocks) cudaFree(block);
        stream.reset();
        engine.reset();
      },
      device);
}

size_t ContextCore::ArenaBytes() const {
  size_t total = 0;
  for (const ArenaBlock& block : arena) total += block.bytes;
  for (const auto& block : host) total += block ? block->bytes : 0;
  return total;
}

void ExecutionContext::Init(Napi::Env env, Napi::Object) {
  Napi::Function cls =
      DefineClass(env, "ExecutionContext",
                  {InstanceMethod<&ExecutionContext::Run>("run"), InstanceAccessor<&ExecutionContext::Busy>("busy"),
                   InstanceAccessor<&ExecutionContext::ArenaBytes>("arenaBytes"),
                   InstanceAccessor<&ExecutionContext::ActivationBytes>("activationBytes"),
                   InstanceAccessor<&ExecutionContext::GraphLaunches>("graphLaunches"),
                   InstanceMethod<&ExecutionContext::Dispose>("dispose"), InstanceMethod<&ExecutionContext::IsDisposed>("isDisposed")});
  AddonState::Get(env)->context_class = Napi::Persistent(cls);
}

Napi::Object ExecutionContext::Create(Napi::Env env, const std::shared_ptr<EngineCore>& engine, bool cuda_graph, bool user_managed) {
  LogCapture capture;
  // The context, its stream and its memory belong to the engine's device.
  UseDeviceOrThrow(env, engine->device);
  auto core = std::make_shared<ContextCore>();
  core->engine = engine;
  core->cuda_graph = cuda_graph;
  core->user_managed = user_managed;
  auto stream = std::make_shared<StreamCore>();
  stream->device = engine->device;
  CheckCuda(env, cudaStreamCreateWithFlags(&stream->handle, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  core->stream = std::move(stream);
  core->context.reset(engine->engine->createExecutionContext(user_managed ? nvinfer1::ExecutionContextAllocationStrategy::kUSER_MANAGED
                                                                          : nvinfer1::ExecutionContextAllocationStrategy::kSTATIC));
  if (core->context == nullptr) {
    throw MakeError(env, capture.Contains("memory") ? ErrorCode::kOutOfMemory : ErrorCode::kCuda,
                    "TensorRT could not create an execution context", capture.Text());
  }
  if (!user_managed) core->activation_bytes = static_cast<size_t>(std::max<int64_t>(engine->engine->getDeviceMemorySizeV2(), 0));
  size_t count = static_cast<size_t>(engine->engine->getNbIOTensors());
  core->arena.resize(count);
  core->host.resize(count);
  core->allocators.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const char* name = engine->engine->getIOTensorName(static_cast<int32_t>(i));
    core->on_host.push_back(engine->engine->getTensorLocation(name) == nvinfer1::TensorLocation::kHOST);
    core->alias_of.push_back(-1);
    if (const char* input = AliasedInputOf(*engine->engine, name)) {
      for (size_t j = 0; j < count; ++j) {
        if (std::strcmp(engine->engine->getIOTensorName(static_cast<int32_t>(j)), input) == 0)
          core->alias_of.back() = static_cast<int32_t>(j);
      }
    }
  }
  Napi::Object object = AddonState::Get(env)->context_class.New({});
  ExecutionContext* wrapper = Unwrap(object);
  wrapper->core_ = std::move(core);
  wrapper->Report(env);
  return object;
}

ExecutionContext::ExecutionContext(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExecutionContext>(info) {}

std::shared_ptr<StreamCore> ExecutionContext::StreamOf(Napi::Env env, Napi::Value value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(AddonState::Get(env)->context_class.Value())) return nullptr;
  const auto& core = Unwrap(value.As<Napi::Object>())->core_;
  return core ? core->stream : nullptr;
}

ExecutionContext::~ExecutionContext() { Release(Env()); }

const std::shared_ptr<ContextCore>& ExecutionContext::core(Napi::Env env) const {
  if (!core_) throw DisposedError(env, "ExecutionContext");
  return core_;
}

void ExecutionContext::Report(Napi::Env env) {
  int64_t now = core_ ? static_cast<int64_t>(core_->ArenaBytes() + core_->activation_bytes) : 0;
  AddonState* state = AddonState::Get(env);
  if (now != reported_bytes_ && state != nullptr && !state->tearing_down) {
    Napi::MemoryManagement::AdjustExternalMemory(env, now - reported_bytes_);
    reported_bytes_ = now;
  }
}

void ExecutionContext::Release(Napi::Env env) {
  core_.reset();  // a run in flight holds its own reference; the core goes when it settles
  Report(env);
}

// run(inputs: {name, data, dims}[], outputs: {name, data?}[], profile: number): Promise<{name, dims, data}[]>
Napi::Value ExecutionContext::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<ContextCore> core = this->core(env);
  if (core->fault != cudaSuccess) {
    throw MakeError(env, ErrorCode::kCuda,
                    std::string("This execution context cannot run: an earlier run failed with ") + cudaGetErrorName(core->fault) +
                        ", a sticky CUDA error that leaves the process unable to use the GPU; restart the process",
                    std::string(cudaGetErrorName(core->fault)) + ": " + cudaGetErrorString(core->fault));
  }
  if (core->busy)
    throw MakeError(env, ErrorCode::kInferenceFailed,
                    "This execution context is already running; TensorRT contexts run one inference at a time");
  Report(env);  // memory a previous run grew while off the JS thread
  return StartRun(env, core, info[0].As<Napi::Array>(), info[1].As<Napi::Array>(), info[2].As<Napi::Number>().Int32Value(),
                  [this, env] { Report(env); });
}

Napi::Value ExecutionContext::Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), core_ && core_->busy); }

Napi::Value ExecutionContext::ArenaBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? static_cast<double>(core_->ArenaBytes()) : 0);
}

Napi::Value ExecutionContext::ActivationBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? static_cast<double>(core_->activation_bytes) : 0);
}

Napi::Value ExecutionContext::GraphLaunches(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? core_->graph_launches : 0);
}

Napi::Value ExecutionContext::Dispose(const Napi::CallbackInfo& info) {
  Release(info.Env());
  return info.Env().Undefined();
}

Napi::Value ExecutionContext::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !core_); }

}  // namespace trtn
