#include "tensorrt/execution_context.h"

#include "addon_state.h"
#include "cuda/completion.h"
#include "cuda/deferred_release.h"
#include "cuda/host_staging.h"
#include "cuda/pinned_buffer.h"
#include "cuda/stream.h"
#include "errors.h"
#include "tensorrt/dims.h"
#include "tensorrt/logger.h"
#include "tensorrt/tensorrt_types.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace trtn {

namespace {

constexpr size_t kArenaAlignment = 256;

struct InputPlan {
  int32_t index;
  Napi::TypedArray data;
  size_t bytes;
};

struct OutputPlan {
  std::string name;
  int32_t index;
  nvinfer1::Dims dims;
  size_t bytes;
  Napi::Reference<Napi::Value> target;  // the caller's TypedArray or a fresh ArrayBuffer
  void* host;
};

std::shared_ptr<PinnedMemory> GraphBlock(size_t bytes) {
  auto block = std::make_shared<PinnedMemory>();
  if (cudaHostAlloc(&block->ptr, std::max<size_t>(bytes, 1), cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();
    block->ptr = nullptr;
    return nullptr;
  }
  block->bytes = bytes;
  return block;
}

// Captures the run's work (input copies from pinned blocks of the graph's own, enqueueV3, output
// copies into pinned blocks) into core.graph for `key`. A graph is an optimisation: when anything
// refuses, the capture is dropped and runs go on uncaptured.
void CaptureGraph(ContextCore& core, const std::string& key, const std::vector<InputPlan>& inputs, const std::vector<OutputPlan>& outputs) {
  cudaStream_t stream = core.stream->handle;
  GraphCache fresh;
  fresh.key = key;
  for (const InputPlan& input : inputs) {
    fresh.inputs.push_back(GraphBlock(input.bytes));
    if (!fresh.inputs.back()) return;
  }
  for (const OutputPlan& output : outputs) {
    fresh.outputs.push_back(GraphBlock(output.bytes));
    if (!fresh.outputs.back()) return;
  }
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  bool ok = true;
  for (size_t k = 0; k < inputs.size() && ok; ++k) {
    ok = cudaMemcpyAsync(core.arena[static_cast<size_t>(inputs[k].index)].ptr, fresh.inputs[k]->ptr, inputs[k].bytes, cudaMemcpyHostToDevice, stream) == cudaSuccess;
  }
  ok = ok && core.context->enqueueV3(stream);
  for (size_t j = 0; j < outputs.size() && ok; ++j) {
    if (outputs[j].bytes == 0) continue;
    ok = cudaMemcpyAsync(fresh.outputs[j]->ptr, core.arena[static_cast<size_t>(outputs[j].index)].ptr, outputs[j].bytes, cudaMemcpyDeviceToHost, stream) == cudaSuccess;
  }
  cudaGraph_t graph = nullptr;
  ok = cudaStreamEndCapture(stream, &graph) == cudaSuccess && ok;
  ok = ok && cudaGraphInstantiate(&fresh.exec, graph, 0) == cudaSuccess;
  if (graph != nullptr) cudaGraphDestroy(graph);
  cudaGetLastError();
  if (!ok) return;
  if (core.graph.exec != nullptr) cudaGraphExecDestroy(core.graph.exec);
  core.graph = std::move(fresh);
}

// The error for a run whose work on the stream failed with `status`. Device errors are sticky in
// CUDA (the stream keeps reporting them): the CUDA context, and with it this process's GPU work,
// cannot run again, so the context remembers the fault and refuses later runs. An error the stream
// no longer reports leaves the context usable.
Napi::Error RunFailure(Napi::Env env, ContextCore& core, cudaError_t status, const std::string& what, const std::string& log) {
  cudaError_t now = cudaStreamQuery(core.stream->handle);
  cudaGetLastError();
  bool sticky = now != cudaSuccess && now != cudaErrorNotReady;
  if (sticky) core.fault = now;
  std::string name = cudaGetErrorName(status);
  std::string details = name + ": " + cudaGetErrorString(status) + (log.empty() ? "" : "\n" + log);
  std::string message = what + ": " + name + " (" + cudaGetErrorString(status) + ")";
  if (sticky) message += "; this is a sticky CUDA error, so the process can no longer use the GPU: restart it";
  return MakeError(env, status == cudaErrorMemoryAllocation ? "ERR_OUT_OF_MEMORY" : "ERR_CUDA", message, details);
}

class RunOp : public PendingOp {
 public:
  RunOp(Napi::Env env, std::shared_ptr<ContextCore> core) : PendingOp(env), core_(std::move(core)) {}

  std::vector<OutputPlan> outputs;
  std::string enqueue_log;  // what TensorRT logged while the run was enqueued
  StreamLogCapture stream_log;  // what it logged while the run's work executed

  // The stream callback that opens stream_log, enqueued before the run's work.
  static void CUDART_CB BeginLog(cudaStream_t, cudaError_t status, void* data) {
    if (status == cudaSuccess) static_cast<RunOp*>(data)->stream_log.Begin();
  }

  void Reached(cudaError_t) override { stream_log.End(); }

  void Fail(Napi::Env env, Napi::Promise::Deferred& deferred, cudaError_t status) override {
    core_->busy = false;
    deferred.Reject(RunFailure(env, *core_, status, "The inference failed on the GPU", Log()).Value());
  }

  // Everything TensorRT logged for this run so far.
  std::string Log() const {
    std::string text = enqueue_log;
    std::string executed = stream_log.Text();
    if (!executed.empty()) text += (text.empty() ? "" : "\n") + executed;
    return text;
  }

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
               stream = std::move(stream), exec = graph.exec]() mutable {
    if (exec != nullptr) cudaGraphExecDestroy(exec);  // its replays reference the context's work
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
                                    InstanceAccessor<&ExecutionContext::GraphLaunches>("graphLaunches"),
                                    InstanceMethod<&ExecutionContext::Dispose>("dispose"),
                                    InstanceMethod<&ExecutionContext::IsDisposed>("isDisposed")});
  AddonState::Get(env)->context_class = Napi::Persistent(cls);
}

Napi::Object ExecutionContext::Create(Napi::Env env, const std::shared_ptr<EngineCore>& engine, bool cuda_graph) {
  LogCapture capture;
  auto core = std::make_shared<ContextCore>();
  core->engine = engine;
  core->cuda_graph = cuda_graph;
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
    throw MakeError(env, "ERR_CUDA", std::string("This execution context cannot run: an earlier run failed with ") + cudaGetErrorName(core->fault) +
                                         ", a sticky CUDA error that leaves the process unable to use the GPU; restart the process",
                    std::string(cudaGetErrorName(core->fault)) + ": " + cudaGetErrorString(core->fault));
  }
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
    if (output && dims.nbDims >= 0 && HasUnknownDims(dims)) {
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
    if (HasUnknownDims(dims)) {
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

  // CUDA graphs (cudaGraph: true) serve fixed shapes: outputs whose size TensorRT learns during
  // enqueueV3 cannot be replayed. A graph replays the addresses it was captured with, so the key
  // holds everything that decides them.
  bool graphable = core->cuda_graph && std::none_of(data_dependent.begin(), data_dependent.end(), [](bool d) { return d; });
  std::string key;
  if (graphable) {
    key = "profile " + std::to_string(profile);
    for (const InputPlan& input : input_plans) {
      key += "|in " + std::to_string(input.index) + ":";
      nvinfer1::Dims dims = context.getTensorShape(engine.getIOTensorName(input.index));
      for (int32_t d = 0; d < dims.nbDims; ++d) key += std::to_string(dims.d[d]) + ",";
    }
    for (uint32_t i = 0; i < outputs.Length(); ++i) {
      key += "|out " + outputs.Get(i).As<Napi::Object>().Get("name").As<Napi::String>().Utf8Value();
    }
    for (const ArenaBlock& block : core->arena) key += "|" + std::to_string(reinterpret_cast<uintptr_t>(block.ptr));
  }
  bool replay = graphable && core->graph.exec != nullptr && core->graph.key == key;

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
    Napi::TypedArray view;  // what the download lands in
    if (target.IsTypedArray()) {
      view = target.As<Napi::TypedArray>();
      if (view.ByteLength() < bytes) {
        throw MakeError(env, "ERR_SHAPE_MISMATCH", "The buffer for output \"" + name + "\" holds " + std::to_string(view.ByteLength()) +
                                                       " bytes but the output needs " + std::to_string(bytes));
      }
    } else {
      Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
      view = Napi::Uint8Array::New(env, bytes, buffer, 0);
      target = buffer;
    }
    op->KeepAlive(target);
    // Pageable memory would make cudaMemcpyAsync wait for the stream on the JS thread: the copy
    // lands in a pinned block that is copied into the array when the run settles (an array inside
    // a PinnedBuffer is written in place).
    void* host = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
    if (replay) {
      // The graph copies the output into its own pinned block, copied into the array on settling.
      op->CopyIntoOnSettle(view, core->graph.outputs[i], bytes);
      op->Hold(core->graph.outputs[i]);
    } else if (bytes != 0) {
      host = StageDownload(env, *op, view, host, bytes);
    }
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
    cudaError_t synced = cudaStreamSynchronize(stream);
    op->enqueue_log = capture.Text();
    if (status != cudaSuccess) return RunFailure(env, *core, status, message + " failed", op->Log());
    // TensorRT refusing to enqueue may be a device fault it ran into (e.g. waiting for the stream).
    if (synced != cudaSuccess) return RunFailure(env, *core, synced, message, op->Log());
    return MakeError(env, code, message, op->Log());
  };
  auto Settle = [&](std::unique_ptr<RunOp> ready) {
    ready->Hold(core->stream);
    ready->Hold(core);
    ready->enqueue_log = capture.Text();
    core->busy = true;
    try {
      return AddonState::Get(env)->completions->Launch(env, std::move(ready), stream);
    } catch (...) {
      core->busy = false;
      throw;
    }
  };
  // Lines TensorRT logs while the work runs are collected on the stream's callback thread.
  if (cudaError_t status = cudaStreamAddCallback(stream, &RunOp::BeginLog, op.get(), 0); status != cudaSuccess) {
    throw fail("ERR_CUDA", "cudaStreamAddCallback", status);
  }
  if (replay) {
    // The graph reads the inputs from its own pinned blocks: the caller's bytes go there now (the
    // previous replay has settled: a context runs one run at a time).
    for (size_t k = 0; k < input_plans.size(); ++k) {
      const InputPlan& input = input_plans[k];
      if (input.bytes != 0) std::memcpy(core->graph.inputs[k]->ptr, static_cast<uint8_t*>(input.data.ArrayBuffer().Data()) + input.data.ByteOffset(), input.bytes);
      op->Hold(core->graph.inputs[k]);
    }
    if (cudaError_t status = cudaGraphLaunch(core->graph.exec, stream); status != cudaSuccess) throw fail("ERR_CUDA", "cudaGraphLaunch", status);
    op->outputs = std::move(planned);
    core->graph_launches += 1;
    return Settle(std::move(op));
  }
  for (InputPlan& input : input_plans) {
    // Staged like the outputs: pageable bytes are copied into a pinned block now, so the caller may
    // reuse the array once run() returns; an array inside a PinnedBuffer is read in place.
    void* data = static_cast<uint8_t*>(input.data.ArrayBuffer().Data()) + input.data.ByteOffset();
    const void* src;
    try {
      src = StageUpload(env, *op, input.data, data, input.bytes);
    } catch (...) {
      cudaStreamSynchronize(stream);
      throw;
    }
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
  // TensorRT wants one enqueueV3 outside a capture before capturing (it may set things up on the
  // first): the graph is captured after this run's own work and replayed from the next run on.
  if (graphable) CaptureGraph(*core, key, input_plans, op->outputs);
  return Settle(std::move(op));
}

Napi::Value ExecutionContext::Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), core_ && core_->busy); }

Napi::Value ExecutionContext::ArenaBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? static_cast<double>(core_->ArenaBytes()) : 0);
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
