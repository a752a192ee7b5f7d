#include "tensorrt/execution_context.h"

#include "addon_state.h"
#include "cuda/completion.h"
#include "cuda/deferred_release.h"
#include "cuda/stream.h"
#include "errors.h"
#include "tensorrt/logger.h"
#include "tensorrt/tensorrt_types.h"

#include <string>

namespace trtn {

namespace {

constexpr size_t kArenaAlignment = 256;

nvinfer1::Dims ToDims(Napi::Array array) {
  nvinfer1::Dims dims{};
  dims.nbDims = static_cast<int32_t>(array.Length());
  for (uint32_t i = 0; i < array.Length() && i < static_cast<uint32_t>(nvinfer1::Dims::MAX_DIMS); ++i) {
    dims.d[i] = array.Get(i).As<Napi::Number>().Int64Value();
  }
  return dims;
}

Napi::Array DimsToArray(Napi::Env env, const nvinfer1::Dims& dims) {
  Napi::Array array = Napi::Array::New(env, dims.nbDims < 0 ? 0 : static_cast<size_t>(dims.nbDims));
  for (int32_t i = 0; i < dims.nbDims; ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(dims.d[i])));
  return array;
}

bool Unknown(const nvinfer1::Dims& dims) {
  for (int32_t i = 0; i < dims.nbDims; ++i) {
    if (dims.d[i] < 0) return true;
  }
  return dims.nbDims < 0;
}

int64_t Volume(const nvinfer1::Dims& dims) {
  int64_t count = 1;
  for (int32_t i = 0; i < dims.nbDims; ++i) count *= dims.d[i];
  return count;
}

struct OutputPlan {
  std::string name;
  int32_t index;
  nvinfer1::Dims dims;
  size_t bytes;
  Napi::Reference<Napi::Value> target;  // the caller's TypedArray or a fresh ArrayBuffer
  void* host;
};

class RunOp : public PendingOp {
 public:
  RunOp(Napi::Env env, std::shared_ptr<ContextCore> core) : PendingOp(env), core_(std::move(core)) {}

  std::vector<OutputPlan> outputs;

  void Settle(Napi::Env env, Napi::Promise::Deferred& deferred) override {
    core_->busy = false;
    Napi::Array result = Napi::Array::New(env, outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      Napi::Object out = Napi::Object::New(env);
      out.Set("name", outputs[i].name);
      out.Set("dims", DimsToArray(env, outputs[i].dims));
      out.Set("data", outputs[i].target.Value());
      result.Set(static_cast<uint32_t>(i), out);
    }
    deferred.Resolve(result);
  }

 private:
  std::shared_ptr<ContextCore> core_;
};

}  // namespace

void* ArenaOutputAllocator::reallocateOutputAsync(const char*, void*, uint64_t size, uint64_t, cudaStream_t) {
  size_t wanted = (std::max<size_t>(static_cast<size_t>(size), 1) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  if (block_->bytes < wanted) {
    FreeDeviceMemoryLater(block_->ptr);
    *block_ = ArenaBlock{};
    if (cudaMalloc(&block_->ptr, wanted) != cudaSuccess) {
      cudaGetLastError();
      block_->ptr = nullptr;
      return nullptr;  // TensorRT reports the failure through the logger
    }
    block_->bytes = wanted;
  }
  return block_->ptr;
}

void ArenaOutputAllocator::notifyShape(const char*, const nvinfer1::Dims& dims) noexcept {
  dims_ = dims;
  notified_ = true;
}

ContextCore::~ContextCore() {
  // Deleting a context and freeing its arena free device memory, which synchronizes the device:
  // done on the release thread, never on the JS thread. The context goes before its engine and
  // stream, which the release holds until then.
  std::vector<void*> blocks;
  for (ArenaBlock& block : arena) {
    if (block.ptr) blocks.push_back(block.ptr);
  }
  // std::function needs a copyable callable: the allocators travel behind a shared_ptr.
  auto owned_allocators = std::make_shared<std::vector<std::unique_ptr<ArenaOutputAllocator>>>(std::move(allocators));
  ReleaseLater([context = context, blocks = std::move(blocks), owned_allocators, engine = std::move(engine),
               stream = std::move(stream)]() mutable {
    delete context;
    owned_allocators.reset();  // TensorRT may use them until the context is gone
    for (void* block : blocks) cudaFree(block);
    stream.reset();
    engine.reset();
  });
}

size_t ContextCore::ArenaBytes() const {
  size_t total = 0;
  for (const ArenaBlock& block : arena) total += block.bytes;
  return total;
}

void ExecutionContext::Init(Napi::Env env, Napi::Object) {
  Napi::Function cls = DefineClass(env, "ExecutionContext",
                                   {InstanceMethod<&ExecutionContext::Run>("run"), InstanceAccessor<&ExecutionContext::Busy>("busy"),
                                    InstanceAccessor<&ExecutionContext::ArenaBytes>("arenaBytes"),
                                    InstanceMethod<&ExecutionContext::Dispose>("dispose"),
                                    InstanceMethod<&ExecutionContext::IsDisposed>("isDisposed")});
  AddonState::Get(env)->context_class = Napi::Persistent(cls);
}

Napi::Object ExecutionContext::Create(Napi::Env env, const std::shared_ptr<EngineCore>& engine) {
  LogCapture capture;
  auto core = std::make_shared<ContextCore>();
  core->engine = engine;
  auto stream = std::make_shared<StreamCore>();
  CheckCuda(env, cudaStreamCreateWithFlags(&stream->handle, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  core->stream = std::move(stream);
  core->context = engine->engine->createExecutionContext();
  if (core->context == nullptr) {
    throw MakeError(env, capture.Contains("memory") ? "ERR_OUT_OF_MEMORY" : "ERR_CUDA", "TensorRT could not create an execution context",
                    capture.Text());
  }
  core->activation_bytes = static_cast<size_t>(std::max<int64_t>(engine->engine->getDeviceMemorySizeV2(), 0));
  core->arena.resize(static_cast<size_t>(engine->engine->getNbIOTensors()));
  core->allocators.resize(core->arena.size());
  Napi::Object object = AddonState::Get(env)->context_class.New({});
  ExecutionContext* wrapper = Unwrap(object);
  wrapper->core_ = std::move(core);
  wrapper->Report(env);
  return object;
}

ExecutionContext::ExecutionContext(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExecutionContext>(info) {}

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
  if (core->busy) throw MakeError(env, "ERR_INFERENCE_FAILED", "This execution context is already running; TensorRT contexts run one inference at a time");
  Napi::Array inputs = info[0].As<Napi::Array>();
  Napi::Array outputs = info[1].As<Napi::Array>();
  int32_t profile = info[2].As<Napi::Number>().Int32Value();
  nvinfer1::IExecutionContext& context = *core->context;
  nvinfer1::ICudaEngine& engine = *core->engine->engine;
  cudaStream_t stream = core->stream->handle;
  LogCapture capture;

  if (profile != core->profile || context.getOptimizationProfile() != profile) {
    if (!context.setOptimizationProfileAsync(profile, stream)) {
      throw MakeError(env, "ERR_SHAPE_MISMATCH", "TensorRT refused optimization profile " + std::to_string(profile), capture.Text());
    }
    core->profile = profile;
  }
  auto index_of = [&](const std::string& name) {
    for (int32_t i = 0; i < engine.getNbIOTensors(); ++i) {
      if (name == engine.getIOTensorName(i)) return i;
    }
    throw MakeError(env, "ERR_UNKNOWN_TENSOR", "The engine has no tensor named \"" + name + "\"");
  };

  struct InputPlan {
    int32_t index;
    Napi::TypedArray data;
    size_t bytes;
  };
  std::vector<InputPlan> input_plans;
  for (uint32_t i = 0; i < inputs.Length(); ++i) {
    Napi::Object input = inputs.Get(i).As<Napi::Object>();
    std::string name = input.Get("name").As<Napi::String>().Utf8Value();
    int32_t index = index_of(name);
    nvinfer1::Dims dims = ToDims(input.Get("dims").As<Napi::Array>());
    if (!context.setInputShape(name.c_str(), dims)) {
      throw MakeError(env, "ERR_SHAPE_MISMATCH", "TensorRT rejected the shape of input \"" + name + "\" for profile " + std::to_string(profile),
                      capture.Text());
    }
    Napi::TypedArray data = input.Get("data").As<Napi::TypedArray>();
    input_plans.push_back({index, data, data.ByteLength()});
  }

  // Every I/O tensor needs an address, requested or not; the arena only grows.
  size_t before = core->ArenaBytes();
  std::vector<size_t> bytes_of(core->arena.size(), 0);
  std::vector<bool> data_dependent(core->arena.size(), false);
  for (int32_t i = 0; i < engine.getNbIOTensors(); ++i) {
    const char* name = engine.getIOTensorName(i);
    nvinfer1::Dims dims = context.getTensorShape(name);
    bool output = engine.getTensorIOMode(name) == nvinfer1::TensorIOMode::kOUTPUT;
    if (output && dims.nbDims >= 0 && Unknown(dims)) {
      // Known only once the data is: TensorRT asks the allocator for memory inside enqueueV3.
      data_dependent[static_cast<size_t>(i)] = true;
      auto& allocator = core->allocators[static_cast<size_t>(i)];
      if (!allocator) {
        allocator = std::make_unique<ArenaOutputAllocator>(&core->arena[static_cast<size_t>(i)]);
        if (!context.setOutputAllocator(name, allocator.get())) {
          allocator.reset();
          throw MakeError(env, "ERR_INFERENCE_FAILED", std::string("TensorRT refused an output allocator for \"") + name + "\"", capture.Text());
        }
      }
      allocator->Reset();
      continue;
    }
    if (Unknown(dims)) {
      throw MakeError(env, "ERR_SHAPE_MISMATCH", std::string("TensorRT could not determine the shape of \"") + name + "\"", capture.Text());
    }
    size_t bytes = static_cast<size_t>(Volume(dims)) * DataTypeSize(engine.getTensorDataType(name));
    bytes_of[static_cast<size_t>(i)] = bytes;
    ArenaBlock& block = core->arena[static_cast<size_t>(i)];
    size_t wanted = (std::max<size_t>(bytes, 1) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
    if (block.bytes < wanted) {
      FreeDeviceMemoryLater(block.ptr);  // cudaFree would stall the event loop on a device sync
      block = ArenaBlock{};
      CheckCuda(env, cudaMalloc(&block.ptr, wanted), "cudaMalloc(" + std::to_string(wanted) + " bytes)");
      block.bytes = wanted;
    }
    if (!context.setTensorAddress(name, block.ptr)) {
      throw MakeError(env, "ERR_INFERENCE_FAILED", std::string("TensorRT refused the address of \"") + name + "\"", capture.Text());
    }
  }
  if (core->ArenaBytes() != before) Report(env);
  // A short or long input buffer would make the copy read past the caller's array or write past
  // the arena block: refuse it here, whoever called.
  for (const InputPlan& input : input_plans) {
    size_t wanted = bytes_of[static_cast<size_t>(input.index)];
    if (input.bytes != wanted) {
      throw MakeError(env, "ERR_SHAPE_MISMATCH", std::string("Expected ") + std::to_string(wanted) + " bytes for input \"" +
                                                     engine.getIOTensorName(input.index) + "\" but received " + std::to_string(input.bytes));
    }
  }

  auto op = std::make_unique<RunOp>(env, core);
  // Outputs go back in the order asked for; data-dependent ones are planned after enqueueV3, when
  // their shapes are known.
  auto plan_output = [&](uint32_t i) {
    Napi::Object output = outputs.Get(i).As<Napi::Object>();
    std::string name = output.Get("name").As<Napi::String>().Utf8Value();
    int32_t index = index_of(name);
    nvinfer1::Dims dims = context.getTensorShape(name.c_str());
    if (data_dependent[static_cast<size_t>(index)]) {
      const ArenaOutputAllocator& allocator = *core->allocators[static_cast<size_t>(index)];
      if (!allocator.notified()) {
        throw MakeError(env, "ERR_INFERENCE_FAILED", "TensorRT did not report the shape of data-dependent output \"" + name + "\"", capture.Text());
      }
      dims = allocator.dims();
    }
    size_t bytes = static_cast<size_t>(Volume(dims)) * DataTypeSize(engine.getTensorDataType(name.c_str()));
    Napi::Value target = output.Get("data");
    void* host = nullptr;
    if (target.IsTypedArray()) {
      Napi::TypedArray array = target.As<Napi::TypedArray>();
      if (array.ByteLength() < bytes) {
        throw MakeError(env, "ERR_SHAPE_MISMATCH", "The buffer for output \"" + name + "\" holds " + std::to_string(array.ByteLength()) +
                                                       " bytes but the output needs " + std::to_string(bytes));
      }
      host = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    } else {
      Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
      host = buffer.Data();
      target = buffer;
    }
    op->KeepAlive(target);
    return OutputPlan{name, index, dims, bytes, Napi::Persistent(target), host};
  };
  std::vector<OutputPlan> planned(outputs.Length());
  std::vector<bool> is_planned(outputs.Length(), false);
  for (uint32_t i = 0; i < outputs.Length(); ++i) {
    std::string name = outputs.Get(i).As<Napi::Object>().Get("name").As<Napi::String>().Utf8Value();
    if (data_dependent[static_cast<size_t>(index_of(name))]) continue;
    planned[i] = plan_output(i);
    is_planned[i] = true;
  }

  // From here on work is queued: any failure must wait for the stream before the caller's
  // arrays may be let go.
  auto fail = [&](const char* code, const std::string& message, cudaError_t status = cudaSuccess) {
    cudaStreamSynchronize(stream);
    if (status != cudaSuccess) return CudaError(env, status, message);
    return MakeError(env, code, message, capture.Text());
  };
  for (InputPlan& input : input_plans) {
    op->KeepAlive(input.data);
    void* src = static_cast<uint8_t*>(input.data.ArrayBuffer().Data()) + input.data.ByteOffset();
    cudaError_t status = cudaMemcpyAsync(core->arena[static_cast<size_t>(input.index)].ptr, src, input.bytes, cudaMemcpyHostToDevice, stream);
    if (status != cudaSuccess) throw fail("ERR_CUDA", "cudaMemcpyAsync (input)", status);
  }
  if (!context.enqueueV3(stream)) throw fail("ERR_INFERENCE_FAILED", "TensorRT could not enqueue the inference");
  for (uint32_t i = 0; i < outputs.Length(); ++i) {
    if (is_planned[i]) continue;
    try {
      planned[i] = plan_output(i);
    } catch (...) {
      cudaStreamSynchronize(stream);
      throw;
    }
  }
  if (core->ArenaBytes() != before) Report(env);
  op->outputs = std::move(planned);
  for (OutputPlan& output : op->outputs) {
    if (output.bytes == 0) continue;
    cudaError_t status = cudaMemcpyAsync(output.host, core->arena[static_cast<size_t>(output.index)].ptr, output.bytes, cudaMemcpyDeviceToHost, stream);
    if (status != cudaSuccess) throw fail("ERR_CUDA", "cudaMemcpyAsync (output)", status);
  }
  op->Hold(core->stream);
  op->Hold(core);
  core->busy = true;
  try {
    return AddonState::Get(env)->completions->Launch(env, std::move(op), stream);
  } catch (...) {
    core->busy = false;
    throw;
  }
}

Napi::Value ExecutionContext::Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), core_ && core_->busy); }

Napi::Value ExecutionContext::ArenaBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? static_cast<double>(core_->ArenaBytes()) : 0);
}

Napi::Value ExecutionContext::Dispose(const Napi::CallbackInfo& info) {
  Release(info.Env());
  return info.Env().Undefined();
}

Napi::Value ExecutionContext::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !core_); }

}  // namespace trtn
