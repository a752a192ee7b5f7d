#include "tensorrt/context_run.h"

#include "addon_state.h"
#include "cuda/completion.h"
#include "cuda/current_device.h"
#include "cuda/host_staging.h"
#include "cuda/pinned_buffer.h"
#include "cuda/stream.h"
#include "errors.h"
#include "tensorrt/dims.h"
#include "tensorrt/logger.h"
#include "tensorrt/off_thread.h"
#include "tensorrt/tensorrt_types.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace trtn {

namespace {

constexpr size_t kArenaAlignment = 256;  // what setTensorAddress asks of device pointers

std::string DimsText(const nvinfer1::Dims& dims) {
  std::string text = "[";
  for (int32_t d = 0; d < dims.nbDims; ++d) text += (d ? ", " : "") + std::to_string(dims.d[d]);
  return text + "]";
}

struct InputPlan {
  int32_t index;
  Napi::TypedArray data;
  size_t bytes;
};

// Where an output's bytes reach the caller's array.
enum class Landing {
  kStaged,  // a device-to-host copy into the array or a pinned staging block (host_staging.h)
  kGraph,   // the graph's own pinned block, copied into the array on settling
  kHost,    // a kHOST output: TensorRT wrote the context's host block, copied on settling
};

struct OutputPlan {
  std::string name;
  int32_t index = -1;
  nvinfer1::Dims dims{};
  size_t bytes = 0;
  Napi::Reference<Napi::Value> target;  // the caller's TypedArray; empty for a fresh output
  Napi::Reference<Napi::Value> view;    // what the bytes land in (a view of target)
  void* host = nullptr;                 // kStaged: the copy's destination
  // A fresh output's bytes wait in this pinned block; its ArrayBuffer is made when the run settles.
  // Made at setup, the array would live through the run behind a reference, survive the young
  // generation's collections and pile up in the old one until a full collection: a run's garbage
  // would then hold malloc memory that glibc keeps.
  std::shared_ptr<PinnedMemory> source;

  bool fresh() const { return target.IsEmpty(); }
};

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
  return MakeError(env, status == cudaErrorMemoryAllocation ? ErrorCode::kOutOfMemory : ErrorCode::kCuda, message, details);
}

// A run's promise. Failures of its work name the CUDA error and what TensorRT logged while the
// run was enqueued: TensorRT does not log kernel faults (CUDA reports them on the stream), so
// nothing is collected while the work executes.
class RunOp : public PendingOp {
 public:
  RunOp(Napi::Env env, std::shared_ptr<ContextCore> core) : PendingOp(env), core_(std::move(core)) {}

  std::vector<OutputPlan> outputs;
  std::string enqueue_log;

  void Fail(Napi::Env env, Napi::Promise::Deferred& deferred, cudaError_t status) override {
    core_->busy = false;
    deferred.Reject(RunFailure(env, *core_, status, "The inference failed on the GPU", enqueue_log).Value());
  }

  void Settle(Napi::Env env, Napi::Promise::Deferred& deferred) override {
    core_->busy = false;
    Napi::Array result = Napi::Array::New(env, outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      Napi::Object out = Napi::Object::New(env);
      out.Set("name", outputs[i].name);
      out.Set("dims", DimsToArray(env, outputs[i].dims));
      out.Set("data", outputs[i].fresh() ? FreshArray(env, outputs[i]) : outputs[i].target.Value());
      result.Set(static_cast<uint32_t>(i), out);
    }
    deferred.Resolve(result);
  }

  // Output j's bytes are in `from` once the stream reaches the op: a caller's array gets them copied
  // in as the op settles; a fresh output is made from them in Settle.
  void DeliverFrom(size_t j, std::shared_ptr<PinnedMemory> from) {
    OutputPlan& output = outputs[j];
    if (output.fresh()) {
      output.source = std::move(from);
    } else {
      CopyIntoOnSettle(output.view.Value(), from, output.bytes);
      Hold(std::move(from));
    }
  }

 private:
  static Napi::ArrayBuffer FreshArray(Napi::Env env, const OutputPlan& output) {
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, output.bytes);
    if (output.bytes != 0) std::memcpy(buffer.Data(), output.source->ptr, output.bytes);
    return buffer;
  }

  std::shared_ptr<ContextCore> core_;
};

struct OutputRequest {
  std::string name;
  int32_t index;
  // A TypedArray to write into, or undefined. Referenced: data-dependent outputs are planned in a
  // later callback, where handles of the run() call are gone.
  Napi::Reference<Napi::Value> data;
};

// One run() call, set up step by step on the JS thread.
class RunSetup : public std::enable_shared_from_this<RunSetup> {
 public:
  RunSetup(Napi::Env env, std::shared_ptr<ContextCore> core)
      : env_(env),
        core_(std::move(core)),
        op_(std::make_unique<RunOp>(env, core_)),
        promise_(Napi::Persistent(Napi::Object(op_->Promise()))) {
    capture_.emplace();
    // Tensors, arenas and the enqueue belong to the engine's device, whatever ran last here.
    UseDeviceOrThrow(env, core_->engine->device);
  }

  void SelectProfile(int32_t profile);
  void SetInputs(Napi::Array inputs);
  void RequestOutputs(Napi::Array outputs);
  void BindTensors();
  void ProvideDeviceMemory();
  void CheckInputSizes();
  Napi::Value Enqueue();

 private:
  nvinfer1::IExecutionContext& context() { return *core_->context; }
  nvinfer1::ICudaEngine& engine() { return *core_->engine->engine; }
  cudaStream_t stream() { return core_->stream->handle; }
  int32_t IndexOf(const std::string& name);
  bool AnyDataDependent() const {
    return std::any_of(data_dependent_.begin(), data_dependent_.end(), [](bool d) { return d; });
  }
  bool AnyOnHost() const {
    return std::any_of(core_->on_host.begin(), core_->on_host.end(), [](bool h) { return h; });
  }
  std::string GraphKey();
  OutputPlan PlanOutput(const OutputRequest& request, Landing landing);
  void PlanOutputs(Landing device_landing, bool data_dependent);
  Napi::Error Failure(const char* code, const std::string& message, cudaError_t status = cudaSuccess);
  std::string Log() const { return capture_ ? capture_->Text() : ""; }
  // Moves what was logged on the JS thread into the op before the run goes to the pool (the
  // capture collects what its own thread logs).
  void StopCapture() {
    op_->enqueue_log += Log();
    capture_.reset();
  }
  Napi::Value Launch();
  Napi::Value Replay(GraphEntry& entry);
  Napi::Value CaptureOffThread(const std::string& key);
  Napi::Value EnqueueInline();
  Napi::Value EnqueueOffThread();
  void EnqueueOutputCopies();

  Napi::Env env_;
  std::shared_ptr<ContextCore> core_;
  std::unique_ptr<RunOp> op_;
  Napi::Reference<Napi::Object> promise_;  // the op's promise, for runs launched from a later callback
  std::optional<LogCapture> capture_;
  int32_t profile_ = 0;
  std::vector<InputPlan> inputs_;
  std::vector<OutputRequest> requests_;
  std::vector<size_t> bytes_of_;      // per I/O tensor with a known shape
  std::vector<bool> data_dependent_;  // per I/O tensor
};

int32_t RunSetup::IndexOf(const std::string& name) {
  for (int32_t i = 0; i < engine().getNbIOTensors(); ++i) {
    if (name == engine().getIOTensorName(i)) return i;
  }
  throw MakeError(env_, ErrorCode::kUnknownTensor, "The engine has no tensor named \"" + name + "\"");
}

void RunSetup::SelectProfile(int32_t profile) {
  profile_ = profile;
  if (profile == core_->profile && context().getOptimizationProfile() == profile) return;
  if (!context().setOptimizationProfileAsync(profile, stream())) {
    throw MakeError(env_, ErrorCode::kShapeMismatch, "TensorRT refused optimization profile " + std::to_string(profile), Log());
  }
  core_->profile = profile;
  // TensorRT sets the new profile up in the next enqueueV3; graphs replay the old one's state.
  core_->graphs.Clear();
  core_->warm = false;
}

void RunSetup::SetInputs(Napi::Array inputs) {
  for (uint32_t i = 0; i < inputs.Length(); ++i) {
    Napi::Object input = inputs.Get(i).As<Napi::Object>();
    std::string name = input.Get("name").As<Napi::String>().Utf8Value();
    int32_t index = IndexOf(name);
    nvinfer1::Dims dims = ToDims(input.Get("dims").As<Napi::Array>());
    if (!context().setInputShape(name.c_str(), dims)) {
      throw MakeError(env_, ErrorCode::kShapeMismatch,
                      "TensorRT rejected the shape of input \"" + name + "\" for profile " + std::to_string(profile_), Log());
    }
    Napi::TypedArray data = input.Get("data").As<Napi::TypedArray>();
    inputs_.push_back({index, data, data.ByteLength()});
    if (!core_->on_host[static_cast<size_t>(index)]) continue;
    // A shape tensor's value decides output shapes: TensorRT reads it through a host pointer when
    // output shapes are asked for and copies it at enqueueV3, so it goes into the context's host
    // block now, which stays put until then.
    size_t bytes = static_cast<size_t>(Volume(dims)) * DataTypeSize(engine().getTensorDataType(name.c_str()));
    if (data.ByteLength() != bytes) {
      throw MakeError(
          env_, ErrorCode::kShapeMismatch,
          "Expected " + std::to_string(bytes) + " bytes for input \"" + name + "\" but received " + std::to_string(data.ByteLength()));
    }
    std::shared_ptr<PinnedMemory>& block = core_->host[static_cast<size_t>(index)];
    if (!block || block->bytes < bytes) {
      auto fresh = std::make_shared<PinnedMemory>();
      CheckCuda(env_, cudaHostAlloc(&fresh->ptr, std::max<size_t>(bytes, 1), cudaHostAllocPortable), "cudaHostAlloc");
      fresh->bytes = bytes;
      block = std::move(fresh);
    }
    if (bytes != 0) std::memcpy(block->ptr, static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset(), bytes);
    if (!context().setTensorAddress(name.c_str(), block->ptr)) {
      throw MakeError(env_, ErrorCode::kInferenceFailed, "TensorRT refused the host address of shape tensor \"" + name + "\"", Log());
    }
  }
}

void RunSetup::RequestOutputs(Napi::Array outputs) {
  for (uint32_t i = 0; i < outputs.Length(); ++i) {
    Napi::Object output = outputs.Get(i).As<Napi::Object>();
    std::string name = output.Get("name").As<Napi::String>().Utf8Value();
    Napi::Value data = output.Get("data");
    // (N-API 8 references only objects: no reference means "allocate a fresh buffer".)
    requests_.push_back({name, IndexOf(name), data.IsTypedArray() ? Napi::Persistent(data) : Napi::Reference<Napi::Value>()});
  }
}

// Every I/O tensor needs an address, requested or not; the arena only grows. Inputs go first:
// an output updated in place takes its input's block.
void RunSetup::BindTensors() {
  size_t count = core_->arena.size();
  bytes_of_.assign(count, 0);
  data_dependent_.assign(count, false);
  std::vector<int32_t> order;
  order.reserve(count);
  for (int32_t pass = 0; pass < 2; ++pass) {
    for (int32_t i = 0; i < static_cast<int32_t>(count); ++i) {
      bool output = engine().getTensorIOMode(engine().getIOTensorName(i)) == nvinfer1::TensorIOMode::kOUTPUT;
      if (output == (pass == 1)) order.push_back(i);
    }
  }
  for (int32_t i : order) {
    size_t k = static_cast<size_t>(i);
    const char* name = engine().getIOTensorName(i);
    bool output = engine().getTensorIOMode(name) == nvinfer1::TensorIOMode::kOUTPUT;
    nvinfer1::Dims dims = context().getTensorShape(name);
    if (output && dims.nbDims >= 0 && HasUnknownDims(dims) && !core_->on_host[k]) {
      // Known only once the data is: TensorRT asks the allocator for memory inside enqueueV3.
      data_dependent_[k] = true;
      auto& allocator = core_->allocators[k];
      if (!allocator) {
        allocator = std::make_unique<ArenaOutputAllocator>(&core_->arena[k]);
        if (!context().setOutputAllocator(name, allocator.get())) {
          allocator.reset();
          throw MakeError(env_, ErrorCode::kInferenceFailed, std::string("TensorRT refused an output allocator for \"") + name + "\"",
                          Log());
        }
      }
      allocator->Reset();
      continue;
    }
    if (HasUnknownDims(dims)) {
      throw MakeError(env_, ErrorCode::kShapeMismatch, std::string("TensorRT could not determine the shape of \"") + name + "\"", Log());
    }
    size_t bytes = static_cast<size_t>(Volume(dims)) * DataTypeSize(engine().getTensorDataType(name));
    bytes_of_[k] = bytes;
    if (core_->on_host[k]) {
      if (!output) continue;  // bound by SetInputs
      std::shared_ptr<PinnedMemory>& block = core_->host[k];
      if (!block || block->bytes < bytes) {
        auto fresh = std::make_shared<PinnedMemory>();
        CheckCuda(env_, cudaHostAlloc(&fresh->ptr, std::max<size_t>(bytes, 1), cudaHostAllocPortable), "cudaHostAlloc");
        fresh->bytes = bytes;
        block = std::move(fresh);
      }
      if (!context().setTensorAddress(name, block->ptr)) {
        throw MakeError(env_, ErrorCode::kInferenceFailed, std::string("TensorRT refused the host address of \"") + name + "\"", Log());
      }
      continue;
    }
    if (int32_t alias = core_->alias_of[k]; alias >= 0) {
      // TensorRT updates the input in place and writes the output there (a KV cache update).
      const ArenaBlock& block = core_->arena[static_cast<size_t>(alias)];
      if (block.bytes < bytes) {
        throw MakeError(env_, ErrorCode::kShapeMismatch,
                        std::string("Output \"") + name + "\" is written into input \"" + engine().getIOTensorName(alias) +
                            "\", which holds " + std::to_string(block.bytes) + " bytes but the output needs " + std::to_string(bytes));
      }
      if (!context().setTensorAddress(name, block.ptr)) {
        throw MakeError(env_, ErrorCode::kInferenceFailed, std::string("TensorRT refused the address of \"") + name + "\"", Log());
      }
      continue;
    }
    CheckCuda(env_, GrowArenaBlock(core_->arena[k], bytes, kArenaAlignment), "cudaMalloc(" + std::to_string(bytes) + " bytes)");
    if (!context().setTensorAddress(name, core_->arena[k].ptr)) {
      throw MakeError(env_, ErrorCode::kInferenceFailed, std::string("TensorRT refused the address of \"") + name + "\"", Log());
    }
  }
}

// A context with user-managed memory holds what its shapes need, grown as they grow (never more
// than the profile's upper bound TensorRT reports). Contexts that run small shapes of an engine
// built for large ones then hold far less than kSTATIC's most-any-profile-needs.
void RunSetup::ProvideDeviceMemory() {
  if (!core_->user_managed) return;
  size_t need = context().updateDeviceMemorySizeForShapes();
  // 0 is also TensorRT's answer when it could not compute the size: then the profile's bound.
  if (need == 0) need = static_cast<size_t>(std::max<int64_t>(engine().getDeviceMemorySizeForProfileV2(profile_), 0));
  if (need == 0) return;
  ArenaBlock& block = core_->activation;
  if (block.bytes < need) {
    // Graphs captured so far replay the old block's address, which is freed now.
    core_->graphs.Clear();
    CheckCuda(env_, GrowArenaBlock(block, need, kArenaAlignment),
              "cudaMalloc(" + std::to_string(need) + " bytes) for TensorRT's device memory");
    core_->activation_bytes = block.bytes;
  }
  context().setDeviceMemoryV2(block.ptr, static_cast<int64_t>(block.bytes));
}

// A short or long input buffer would make the copy read past the caller's array or write past
// the arena block: refuse it here, whoever called.
void RunSetup::CheckInputSizes() {
  for (const InputPlan& input : inputs_) {
    size_t wanted = bytes_of_[static_cast<size_t>(input.index)];
    if (input.bytes != wanted) {
      throw MakeError(env_, ErrorCode::kShapeMismatch,
                      std::string("Expected ") + std::to_string(wanted) + " bytes for input \"" + engine().getIOTensorName(input.index) +
                          "\" but received " + std::to_string(input.bytes));
    }
  }
}

// A graph replays the addresses and shapes it was captured with, so the key holds everything
// that decides them.
std::string RunSetup::GraphKey() {
  std::string key = "profile " + std::to_string(profile_);
  for (const InputPlan& input : inputs_) {
    key += "|in " + std::to_string(input.index) + ":";
    nvinfer1::Dims dims = context().getTensorShape(engine().getIOTensorName(input.index));
    for (int32_t d = 0; d < dims.nbDims; ++d) key += std::to_string(dims.d[d]) + ",";
  }
  for (const OutputRequest& request : requests_) key += "|out " + request.name;
  for (const ArenaBlock& block : core_->arena) key += "|" + std::to_string(reinterpret_cast<uintptr_t>(block.ptr));
  key += "|memory " + std::to_string(reinterpret_cast<uintptr_t>(core_->activation.ptr));
  return key;
}

OutputPlan RunSetup::PlanOutput(const OutputRequest& request, Landing landing) {
  size_t k = static_cast<size_t>(request.index);
  nvinfer1::Dims dims = context().getTensorShape(request.name.c_str());
  size_t element = DataTypeSize(engine().getTensorDataType(request.name.c_str()));
  if (data_dependent_[k]) {
    const ArenaOutputAllocator& allocator = *core_->allocators[k];
    if (!allocator.notified()) {
      throw MakeError(env_, ErrorCode::kInferenceFailed,
                      "TensorRT did not report the shape of data-dependent output \"" + request.name + "\"", op_->enqueue_log);
    }
    if (!allocator.ResolvedDims(element, dims)) {
      throw MakeError(env_, ErrorCode::kInferenceFailed,
                      "TensorRT reported the shape " + DimsText(dims) + " for data-dependent output \"" + request.name +
                          "\", which has unknown extents",
                      op_->enqueue_log);
    }
  }
  size_t bytes = static_cast<size_t>(Volume(dims)) * element;
  OutputPlan plan;
  plan.name = request.name;
  plan.index = request.index;
  plan.dims = dims;
  plan.bytes = bytes;
  Napi::Value target = request.data.IsEmpty() ? env_.Undefined() : request.data.Value();
  if (!target.IsTypedArray()) {
    // A fresh output: no array until the run settles (OutputPlan::source).
    if (landing == Landing::kHost) {
      plan.source = core_->host[k];
    } else if (landing == Landing::kStaged && bytes != 0) {
      plan.source = AddonState::Get(env_)->staging->Acquire(env_, bytes);
      plan.host = plan.source->ptr;
    }
    return plan;
  }
  Napi::TypedArray view = target.As<Napi::TypedArray>();
  if (view.ByteLength() < bytes) {
    throw MakeError(env_, ErrorCode::kShapeMismatch,
                    "The buffer for output \"" + request.name + "\" holds " + std::to_string(view.ByteLength()) +
                        " bytes but the output needs " + std::to_string(bytes));
  }
  op_->KeepAlive(target);
  plan.target = Napi::Persistent(target);
  plan.view = Napi::Persistent(Napi::Value(view));
  if (landing == Landing::kHost) {
    op_->CopyIntoOnSettle(view, core_->host[k], bytes);
    op_->Hold(core_->host[k]);
  } else if (landing == Landing::kStaged && bytes != 0) {
    // Pageable memory would make cudaMemcpyAsync wait for the stream on the JS thread: the copy
    // lands in a pinned block copied into the array when the run settles (an array inside a
    // PinnedBuffer is written in place).
    void* data = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
    plan.host = StageDownload(env_, *op_, view, data, bytes);
  }
  return plan;
}

// Outputs go back in the order asked for. Data-dependent ones are planned after enqueueV3, when
// their shapes are known: `data_dependent` picks which of the two passes this is.
void RunSetup::PlanOutputs(Landing device_landing, bool data_dependent) {
  op_->outputs.resize(requests_.size());
  for (size_t i = 0; i < requests_.size(); ++i) {
    size_t k = static_cast<size_t>(requests_[i].index);
    if (data_dependent_[k] != data_dependent) continue;
    op_->outputs[i] = PlanOutput(requests_[i], core_->on_host[k] ? Landing::kHost : device_landing);
  }
}

// From the first enqueued work on, any failure must wait for the stream before the caller's
// arrays may be let go.
Napi::Error RunSetup::Failure(const char* code, const std::string& message, cudaError_t status) {
  cudaError_t synced = cudaStreamSynchronize(stream());
  op_->enqueue_log += Log();
  if (status != cudaSuccess) return RunFailure(env_, *core_, status, message + " failed", op_->enqueue_log);
  // TensorRT refusing to enqueue may be a device fault it ran into (e.g. waiting for the stream).
  if (synced != cudaSuccess) return RunFailure(env_, *core_, synced, message, op_->enqueue_log);
  return MakeError(env_, code, message, op_->enqueue_log);
}

Napi::Value RunSetup::Launch() {
  op_->Hold(core_->stream);
  op_->Hold(core_);
  op_->enqueue_log += Log();
  core_->busy = true;
  try {
    return AddonState::Get(env_)->completions->Launch(env_, std::move(op_), stream());
  } catch (...) {
    core_->busy = false;
    throw;
  }
}

void RunSetup::EnqueueOutputCopies() {
  for (OutputPlan& output : op_->outputs) {
    if (output.bytes == 0 || output.host == nullptr) continue;
    cudaError_t status =
        cudaMemcpyAsync(output.host, core_->DevicePtr(static_cast<size_t>(output.index)), output.bytes, cudaMemcpyDeviceToHost, stream());
    if (status != cudaSuccess) throw Failure(ErrorCode::kCuda, "cudaMemcpyAsync (output)", status);
  }
}

Napi::Value RunSetup::Enqueue() {
  // CUDA graphs serve fixed shapes on the device: outputs whose size TensorRT learns during
  // enqueueV3 cannot be replayed, and shape tensors are read on the host at each enqueueV3.
  bool graphable = core_->cuda_graph && !AnyDataDependent() && !AnyOnHost();
  if (graphable && core_->warm) {
    std::string key = GraphKey();
    if (std::shared_ptr<GraphEntry> entry = core_->graphs.Find(key)) return Replay(*entry);
    return CaptureOffThread(key);
  }
  return AnyDataDependent() ? EnqueueOffThread() : EnqueueInline();
}

Napi::Value RunSetup::Replay(GraphEntry& entry) {
  PlanOutputs(Landing::kGraph, false);
  for (size_t j = 0; j < op_->outputs.size(); ++j) op_->DeliverFrom(j, entry.outputs[j]);
  // The graph reads the inputs from its own pinned blocks: the caller's bytes go there now (the
  // previous run has settled: a context runs one run at a time).
  for (size_t k = 0; k < inputs_.size(); ++k) {
    const InputPlan& input = inputs_[k];
    if (input.bytes != 0)
      std::memcpy(entry.inputs[k]->ptr, static_cast<uint8_t*>(input.data.ArrayBuffer().Data()) + input.data.ByteOffset(), input.bytes);
    op_->Hold(entry.inputs[k]);
  }
  if (cudaError_t status = cudaGraphLaunch(entry.exec.get(), stream()); status != cudaSuccess)
    throw Failure(ErrorCode::kCuda, "cudaGraphLaunch", status);
  core_->graph_launches += 1;
  return Launch();
}

// Capturing and instantiating a graph takes long and starts by waiting for the stream: done on
// the libuv pool, after which the run is served by launching the new graph. When the capture is
// refused the same work runs uncaptured there, and the graphs captured so far are dropped.
Napi::Value RunSetup::CaptureOffThread(const std::string& key) {
  PlanOutputs(Landing::kGraph, false);
  struct Work {
    std::shared_ptr<ContextCore> core;
    std::vector<GraphCopy> uploads, downloads;
    std::vector<std::vector<uint8_t>> staged;  // the caller's input bytes, copied now
    std::shared_ptr<GraphEntry> entry = std::make_shared<GraphEntry>();
    bool captured = false;
    bool enqueued = false;
    cudaError_t status = cudaSuccess;
  };
  auto work = std::make_shared<Work>();
  work->core = core_;
  for (const InputPlan& input : inputs_) {
    work->uploads.push_back({core_->arena[static_cast<size_t>(input.index)].ptr, input.bytes});
    const auto* data = static_cast<const uint8_t*>(input.data.ArrayBuffer().Data()) + input.data.ByteOffset();
    work->staged.emplace_back(data, data + input.bytes);
  }
  for (const OutputPlan& output : op_->outputs)
    work->downloads.push_back({core_->DevicePtr(static_cast<size_t>(output.index)), output.bytes});
  StopCapture();
  core_->busy = true;
  auto execute = [work] {
    ContextCore& core = *work->core;
    cudaStream_t stream = core.stream->handle;
    work->status = cudaStreamSynchronize(stream);
    if (work->status == cudaSuccess && !AllocateGraphBlocks(*work->entry, work->uploads, work->downloads))
      work->status = cudaErrorMemoryAllocation;
    if (work->status == cudaSuccess) {
      for (size_t k = 0; k < work->staged.size(); ++k) {
        if (!work->staged[k].empty()) std::memcpy(work->entry->inputs[k]->ptr, work->staged[k].data(), work->staged[k].size());
      }
      work->captured = CaptureGraphWork(*core.context, stream, *work->entry, work->uploads, work->downloads);
      if (work->captured) {
        work->status = cudaGraphLaunch(work->entry->exec.get(), stream);
        work->enqueued = work->status == cudaSuccess;
      } else {
        work->enqueued = EnqueueGraphWork(*core.context, stream, *work->entry, work->uploads, work->downloads, work->status);
      }
      if (!work->enqueued) cudaStreamSynchronize(stream);
    }
  };
  auto finish = [work, key, setup = shared_from_this()](Napi::Env, const std::string& log) -> Napi::Value {
    ContextCore& core = *work->core;
    RunOp& op = *setup->op_;
    op.enqueue_log += log;
    if (work->captured) {
      core.graphs.Insert(key, work->entry);
      core.graph_launches += 1;
    } else {
      core.graphs.Clear();  // a refused capture may leave TensorRT's state changed; so does the uncaptured run
    }
    if (!work->enqueued) {
      core.busy = false;
      if (work->status != cudaSuccess)
        throw RunFailure(setup->env_, core, work->status, "The inference could not be enqueued", op.enqueue_log);
      throw MakeError(setup->env_, ErrorCode::kInferenceFailed, "TensorRT could not enqueue the inference", op.enqueue_log);
    }
    if (!work->captured) core.warm = true;
    for (size_t j = 0; j < op.outputs.size(); ++j) op.DeliverFrom(j, work->entry->outputs[j]);
    op.Hold(work->entry);
    core.busy = false;  // Launch marks it again
    setup->Launch();
    return setup->promise_.Value();
  };
  return RunOnDeviceOffThread(env_, "tensorrt-node:captureGraph", core_->engine->device, std::move(execute), std::move(finish));
}

Napi::Value RunSetup::EnqueueInline() {
  PlanOutputs(Landing::kStaged, false);
  for (InputPlan& input : inputs_) {
    if (core_->on_host[static_cast<size_t>(input.index)]) continue;  // in its host block already
    // Staged like the outputs: pageable bytes are copied into a pinned block now, so the caller may
    // reuse the array once run() returns; an array inside a PinnedBuffer is read in place.
    void* data = static_cast<uint8_t*>(input.data.ArrayBuffer().Data()) + input.data.ByteOffset();
    const void* src;
    try {
      src = StageUpload(env_, *op_, input.data, data, input.bytes);
    } catch (...) {
      cudaStreamSynchronize(stream());
      throw;
    }
    cudaError_t status =
        cudaMemcpyAsync(core_->arena[static_cast<size_t>(input.index)].ptr, src, input.bytes, cudaMemcpyHostToDevice, stream());
    if (status != cudaSuccess) throw Failure(ErrorCode::kCuda, "cudaMemcpyAsync (input)", status);
  }
  bool enqueued = context().enqueueV3(stream());
  // An uncaptured enqueueV3 rewrites the state captured graphs replay.
  core_->graphs.Clear();
  if (!enqueued) throw Failure(ErrorCode::kInferenceFailed, "TensorRT could not enqueue the inference");
  core_->warm = true;
  EnqueueOutputCopies();
  return Launch();
}

// With data-dependent output shapes, TensorRT's enqueueV3 waits for the GPU (it must know the
// sizes to ask the output allocators for memory): it runs on the libuv pool, and the outputs are
// planned back on the JS thread once their shapes are known.
Napi::Value RunSetup::EnqueueOffThread() {
  PlanOutputs(Landing::kStaged, false);
  struct Upload {
    void* device;
    const void* host;
    size_t bytes;
  };
  struct Work {
    std::shared_ptr<ContextCore> core;
    std::vector<Upload> uploads;
    bool enqueued = false;
    cudaError_t status = cudaSuccess;
  };
  auto work = std::make_shared<Work>();
  work->core = core_;
  for (InputPlan& input : inputs_) {
    if (core_->on_host[static_cast<size_t>(input.index)]) continue;
    void* data = static_cast<uint8_t*>(input.data.ArrayBuffer().Data()) + input.data.ByteOffset();
    const void* src = StageUpload(env_, *op_, input.data, data, input.bytes);  // pinned: usable from any thread
    work->uploads.push_back({core_->arena[static_cast<size_t>(input.index)].ptr, src, input.bytes});
  }
  StopCapture();
  core_->busy = true;
  auto execute = [work] {
    ContextCore& core = *work->core;
    cudaStream_t stream = core.stream->handle;
    for (const Upload& upload : work->uploads) {
      if (work->status == cudaSuccess)
        work->status = cudaMemcpyAsync(upload.device, upload.host, upload.bytes, cudaMemcpyHostToDevice, stream);
    }
    work->enqueued = work->status == cudaSuccess && core.context->enqueueV3(stream);
    if (!work->enqueued) {
      cudaError_t synced = cudaStreamSynchronize(stream);
      if (work->status == cudaSuccess) work->status = synced;
    }
  };
  auto finish = [work, setup = shared_from_this()](Napi::Env, const std::string& log) -> Napi::Value {
    ContextCore& core = *work->core;
    RunSetup& run = *setup;
    run.op_->enqueue_log += log;
    core.graphs.Clear();
    if (!work->enqueued) {
      core.busy = false;
      if (work->status != cudaSuccess)
        throw RunFailure(run.env_, core, work->status, "The inference could not be enqueued", run.op_->enqueue_log);
      // An output allocator that could not get memory says why (TensorRT only says it got none).
      for (const auto& allocator : core.allocators) {
        if (!allocator || allocator->failure().empty()) continue;
        throw MakeError(run.env_, ErrorCode::kOutOfMemory, "TensorRT could not enqueue the inference: " + allocator->failure(),
                        run.op_->enqueue_log);
      }
      throw MakeError(run.env_, ErrorCode::kInferenceFailed, "TensorRT could not enqueue the inference", run.op_->enqueue_log);
    }
    core.warm = true;
    try {
      run.PlanOutputs(Landing::kStaged, true);
    } catch (...) {
      core.busy = false;
      cudaStreamSynchronize(run.stream());
      throw;
    }
    core.busy = false;  // Launch marks it again
    run.EnqueueOutputCopies();
    run.Launch();
    return run.promise_.Value();
  };
  return RunOnDeviceOffThread(env_, "tensorrt-node:enqueue", core_->engine->device, std::move(execute), std::move(finish));
}

}  // namespace

Napi::Value StartRun(Napi::Env env, const std::shared_ptr<ContextCore>& core, Napi::Array inputs, Napi::Array outputs, int32_t profile,
                     const std::function<void()>& report) {
  auto run = std::make_shared<RunSetup>(env, core);
  run->SelectProfile(profile);
  run->SetInputs(inputs);
  run->RequestOutputs(outputs);
  try {
    run->BindTensors();
    run->ProvideDeviceMemory();
  } catch (...) {
    report();
    throw;
  }
  report();
  run->CheckInputSizes();
  return run->Enqueue();
}

}  // namespace trtn
