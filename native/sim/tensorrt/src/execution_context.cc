#include "execution_context.h"

#include "builder.h"
#include "log.h"
#include "ops.h"
#include "trtn_sim_faults.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace trtsim {

// One enqueued run: everything the host function needs, captured at enqueue time as TensorRT
// captures shapes and addresses when enqueueV3 is called.
struct Job {
  std::shared_ptr<EngineShared> engine;
  std::shared_ptr<ContextActivity> activity;
  std::vector<Shape> inputShapes;                // per engine input
  std::vector<void*> addresses;                  // per I/O tensor
  std::vector<std::vector<uint8_t>> hostInputs;  // kHOST inputs' values, copied at enqueue
  // What a captured run was recorded against: the profile the context had applied and the count
  // of uncaptured enqueues before it. Its kernels read the context's internal state, which an
  // uncaptured enqueueV3 (and a profile switch it applies) rewrites.
  int32_t profile = 0;
  uint64_t generation = 0;
  std::vector<int64_t> outputBytes;  // per engine output, what a stale replay overwrites
  // A tensor whose memory belongs to another device than the engine's: its kernels fault on it
  // with an illegal address (no peer access is ever enabled). Empty when every tensor is local.
  std::string foreignTensor;
};

namespace {

constexpr uint64_t kDataDependentAlignment = 512;

// TENSORRT_NODE_SIM_NOTIFY_WILDCARDS=1: notifyShape reports data-dependent extents as -1, as
// TensorRT 10.16.1 does on some platforms.
bool notifyWildcards() {
  static const bool on = [] {
    const char* value = std::getenv("TENSORRT_NODE_SIM_NOTIFY_WILDCARDS");
    return value != nullptr && std::string(value) == "1";
  }();
  return on;
}

// What the executor keeps from one run to the next on its thread (a stream's worker): the next
// run reuses these buffers instead of allocating its own, so a steady stream of runs does not
// churn the allocator. Per thread, because graph replays and streams run jobs concurrently.
struct ExecutorScratch {
  std::vector<Value> values;  // per graph tensor
  std::vector<const Value*> in;
  std::vector<Shape> inShapes;
  std::vector<Shape> outShapes;
  std::vector<Value> out;
};

// Jobs a context keeps for reuse; more than this many in flight at once are freed when done.
constexpr size_t kSpareJobs = 4;

// A job for the next run: a spare one (with the memory its vectors hold) or a new one.
std::unique_ptr<Job> takeJob(ContextActivity& activity) {
  {
    std::lock_guard<std::mutex> lock(activity.mutex);
    if (!activity.spareJobs.empty()) {
      std::unique_ptr<Job> job = std::move(activity.spareJobs.back());
      activity.spareJobs.pop_back();
      return job;
    }
  }
  return std::make_unique<Job>();
}

// Gives a finished job back for reuse. It lets go of what it shared (the spare list must not keep
// its context's activity, or an engine, alive).
void recycle(ContextActivity& activity, std::unique_ptr<Job> job) {
  job->engine.reset();
  job->activity.reset();
  std::lock_guard<std::mutex> lock(activity.mutex);
  if (activity.spareJobs.size() < kSpareJobs) activity.spareJobs.push_back(std::move(job));
}

// Runs the network on the CPU from the inputs at `addresses`; returns every graph tensor's value
// (an engine output's at desc.io[i].tensor), its shape computed as the data flows (data-dependent
// ones included). The values stay valid until the next execute on the same thread.
const std::vector<Value>& execute(const EngineShared& engine, const std::vector<Shape>& inputShapes, const std::vector<void*>& addresses,
                                  const std::vector<std::vector<uint8_t>>& hostInputs) {
  thread_local ExecutorScratch scratch;
  const EngineDesc& desc = engine.desc;
  const Graph& graph = desc.graph;
  std::vector<Value>& values = scratch.values;
  values.resize(graph.tensors.size());
  for (Value& value : values) {  // as fresh as a new Value: nothing of the last run is readable
    value.type = DataType::kFLOAT;
    value.dims.clear();
    value.data.clear();
  }
  size_t inputs = graph.inputs.size();
  for (size_t i = 0; i < inputs; ++i) {
    const void* bytes = engine.hostIo[i] ? hostInputs[i].data() : addresses[i];
    decodeInto(values[static_cast<size_t>(desc.io[i].tensor)], desc.io[i].type, inputShapes[i], bytes);
  }
  std::vector<const Value*>& in = scratch.in;
  std::vector<Shape>& inShapes = scratch.inShapes;
  std::vector<Shape>& outShapes = scratch.outShapes;
  std::vector<Value>& out = scratch.out;
  for (const Node& node : graph.nodes) {
    in.resize(node.inputs.size());
    inShapes.resize(node.inputs.size());
    for (size_t j = 0; j < node.inputs.size(); ++j) {
      int t = node.inputs[j];
      const Value* v = t < 0                                            ? nullptr
                       : graph.tensors[static_cast<size_t>(t)].constant ? &engine.constants[static_cast<size_t>(t)]
                                                                        : &values[static_cast<size_t>(t)];
      in[j] = v;
      if (v)
        inShapes[j] = v->dims;
      else
        inShapes[j].clear();
    }
    outShapes.clear();
    std::string error;
    if (!inferShapes(graph, node, inShapes, outShapes, error, &in)) throw std::runtime_error(node.name + ": " + error);
    out.resize(node.outputs.size());
    for (size_t o = 0; o < out.size(); ++o) {
      out[o].type = graph.tensors[static_cast<size_t>(node.outputs[o])].type;
      out[o].dims = outShapes[o];
      out[o].data.clear();  // kernels that resize and accumulate start from zeros, as with a new Value
    }
    runNode(node, graph.opset, in, out);
    // The swap hands the tensor's buffer of the last run to `out`, for the next node to fill.
    for (size_t o = 0; o < out.size(); ++o) std::swap(values[static_cast<size_t>(node.outputs[o])], out[o]);
  }
  return values;
}

// Shapes of every tensor for these input shapes, like the builder's shapesFor, except that the
// values of kHOST shape inputs (empty where unknown) decide the shapes they feed.
bool shapesWithValues(const EngineShared& engine, const std::vector<Shape>& inputDims, const std::vector<std::vector<uint8_t>>& hostInputs,
                      std::vector<Shape>& shapes, std::string& error) {
  const Graph& graph = engine.desc.graph;
  shapes.assign(graph.tensors.size(), Shape{});
  std::vector<Value> known(graph.tensors.size());
  std::vector<bool> isKnown(graph.tensors.size(), false);
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (graph.tensors[t].constant) shapes[t] = graph.tensors[t].dims;
  }
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    size_t t = static_cast<size_t>(graph.inputs[i]);
    shapes[t] = inputDims[i];
    if (engine.hostIo[i] && !hostInputs[i].empty()) {
      known[t] = decode(engine.desc.io[i].type, inputDims[i], hostInputs[i].data());
      isKnown[t] = true;
    }
  }
  for (const Node& node : graph.nodes) {
    std::vector<Shape> in, out;
    std::vector<const Value*> values;
    for (int t : node.inputs) {
      in.push_back(t >= 0 ? shapes[static_cast<size_t>(t)] : Shape{});
      values.push_back(t >= 0 && isKnown[static_cast<size_t>(t)] ? &known[static_cast<size_t>(t)] : nullptr);
    }
    if (!inferShapes(graph, node, in, out, error, &values)) {
      error = node.name + " (" + node.op + "): " + error;
      return false;
    }
    for (size_t o = 0; o < node.outputs.size(); ++o) shapes[static_cast<size_t>(node.outputs[o])] = out[o];
  }
  return true;
}

// The network's "kernels" for one run; false (after logging, and leaving the sticky error a
// faulting kernel leaves) when they fail.
void runNetwork(const Job& job) {
  cudaError_t fault = trtnSimTakeKernelFault();
  if (fault == cudaSuccess && !job.foreignTensor.empty()) fault = cudaErrorIllegalAddress;
  try {
    if (fault != cudaSuccess && !job.foreignTensor.empty()) {
      throw std::runtime_error("a kernel read " + job.foreignTensor + " in memory of another device: " + cudaGetErrorName(fault));
    }
    if (fault != cudaSuccess) throw std::runtime_error(std::string("a kernel faulted with ") + cudaGetErrorName(fault) + " (injected)");
    const std::vector<Value>& values = execute(*job.engine, job.inputShapes, job.addresses, job.hostInputs);
    const EngineDesc& desc = job.engine->desc;
    for (size_t i = desc.graph.inputs.size(); i < desc.io.size(); ++i) {
      const Value& output = values[static_cast<size_t>(desc.io[i].tensor)];
      if (!output.data.empty()) encode(output, job.addresses[i]);
    }
  } catch (const std::exception& e) {
    logError(job.engine->logger, ErrorKind::kInternal, "IExecutionContext::enqueueV3", std::string("execution failed: ") + e.what());
    // Device code that fails leaves the CUDA context with a sticky error, as a faulting kernel does.
    trtnSimRaiseKernelFault(fault != cudaSuccess ? fault : cudaErrorLaunchFailure);
  }
}

// An enqueued run: a stream callback rather than a host function, so it runs (and frees its job)
// exactly once even when an earlier fault on the stream means it must not compute.
void CUDART_CB runJob(cudaStream_t, cudaError_t status, void* data) {
  std::unique_ptr<Job> job(static_cast<Job*>(data));
  if (status == cudaSuccess) runNetwork(*job);
  std::shared_ptr<ContextActivity> activity = std::move(job->activity);
  recycle(*activity, std::move(job));
  activity->inFlight--;
}

// A run captured into a CUDA graph: a host function (callbacks cannot be captured) that may be
// replayed any number of times; the context owns its job. Captured kernels read the context's
// internal state as it is when they run: after an uncaptured enqueueV3 or a profile switch it no
// longer matches the capture, and the replay computes garbage, silently, as on a GPU.
void CUDART_CB runCapturedJob(void* data) {
  const Job& job = *static_cast<const Job*>(data);
  if (job.activity->generation.load() != job.generation || job.activity->appliedProfile.load() != job.profile) {
    size_t inputs = job.engine->desc.graph.inputs.size();
    for (size_t o = 0; o < job.outputBytes.size(); ++o) {
      if (job.outputBytes[o] > 0) std::memset(job.addresses[inputs + o], 0xA5, static_cast<size_t>(job.outputBytes[o]));
    }
    return;
  }
  runNetwork(job);
}

}  // namespace

ContextActivity::~ContextActivity() = default;

ExecutionContext::ExecutionContext(Engine& engine, std::shared_ptr<EngineShared> shared,
                                   nvinfer1::ExecutionContextAllocationStrategy strategy)
    : engine_(engine), shared_(std::move(shared)), strategy_(strategy), activity_(std::make_shared<ContextActivity>()) {
  size_t inputs = shared_->desc.graph.inputs.size();
  inputShapes_.resize(inputs);
  specified_.assign(inputs, false);
  for (size_t i = 0; i < inputs; ++i) {
    const Shape& dims = shared_->desc.io[i].dims;
    if (std::none_of(dims.begin(), dims.end(), [](int64_t d) { return d < 0; })) {
      inputShapes_[i] = dims;  // static inputs need no setInputShape
      specified_[i] = true;
    }
  }
  addresses_.assign(shared_->desc.io.size(), nullptr);
  addressSet_.assign(shared_->desc.io.size(), false);
  allocators_.assign(shared_->desc.io.size(), nullptr);
  for (size_t i = 0; i < inputs; ++i) hasHostInputs_ = hasHostInputs_ || shared_->hostIo[i];
  shared_->liveContexts++;
}

ExecutionContext::~ExecutionContext() {
  if (activity_->inFlight.load() > 0) {
    error("IExecutionContext::~IExecutionContext", "Destroying an execution context while " + std::to_string(activity_->inFlight.load()) +
                                                       " enqueued run(s) have not finished; synchronize the stream first.");
  }
  if (ownsDeviceMemory_ && deviceMemory_) cudaFree(deviceMemory_);
  shared_->liveContexts--;
}

void ExecutionContext::error(const std::string& where, const std::string& text) const {
  logError(shared_->logger, ErrorKind::kApiUsage, where, text);
}

bool ExecutionContext::allocateStatic() {
  if (strategy_ == nvinfer1::ExecutionContextAllocationStrategy::kUSER_MANAGED) return true;
  int64_t bytes = engine_.getDeviceMemorySizeV2();
  if (bytes == 0) return true;
  cudaError_t status = cudaMalloc(&deviceMemory_, static_cast<size_t>(bytes));
  if (status != cudaSuccess) {
    cudaGetLastError();
    logError(shared_->logger, ErrorKind::kInternal, "ICudaEngine::createExecutionContext",
             "Requested amount of GPU memory (" + std::to_string(bytes) + " bytes) could not be allocated: " + cudaGetErrorName(status));
    deviceMemory_ = nullptr;
    return false;
  }
  ownsDeviceMemory_ = true;
  deviceMemorySize_ = bytes;
  return true;
}

void ExecutionContext::setDeviceMemoryV2(void* memory, int64_t size) noexcept {
  if (strategy_ != nvinfer1::ExecutionContextAllocationStrategy::kUSER_MANAGED) {
    error("IExecutionContext::setDeviceMemoryV2", "the context was not created with ExecutionContextAllocationStrategy::kUSER_MANAGED");
    return;
  }
  deviceMemory_ = memory;
  deviceMemorySize_ = size;
}

bool ExecutionContext::setOptimizationProfileAsync(int32_t index, cudaStream_t) noexcept {
  if (index < 0 || index >= engine_.getNbOptimizationProfiles()) {
    error("IExecutionContext::setOptimizationProfileAsync",
          "Parameter check failed, condition: profileIndex >= 0 && profileIndex < mEngine.getNbOptimizationProfiles(). Profile " +
              std::to_string(index) + " does not exist; the engine has " + std::to_string(engine_.getNbOptimizationProfiles()));
    return false;
  }
  if (activity_->inFlight.load() > 0) {
    error("IExecutionContext::setOptimizationProfileAsync", "cannot switch profiles while enqueued runs of this context have not finished");
    return false;
  }
  if (index != profile_) {
    profile_ = index;
    profilePending_ = true;  // TensorRT updates the layers' resources on the next enqueueV3
    forgetShapes();
    for (size_t i = 0; i < specified_.size(); ++i) {
      const Shape& dims = shared_->desc.io[i].dims;
      specified_[i] = std::none_of(dims.begin(), dims.end(), [](int64_t d) { return d < 0; });
    }
  }
  return true;
}

bool ExecutionContext::setInputShape(const char* name, const nvinfer1::Dims& dims) noexcept {
  const char* where = "IExecutionContext::setInputShape";
  int i = shared_->ioIndex(name);
  if (i < 0 || shared_->desc.io[static_cast<size_t>(i)].mode != nvinfer1::TensorIOMode::kINPUT) {
    error(where, std::string("Given invalid tensor name: ") + (name ? name : "(null)") + ". Get valid tensor names with getIOTensorName()");
    return false;
  }
  const IOTensor& io = shared_->desc.io[static_cast<size_t>(i)];
  if (dims.nbDims < 0 || static_cast<size_t>(dims.nbDims) != io.dims.size()) {
    Shape shape = fromDims(dims);
    error(where, "Parameter check failed, condition: engineDims.nbDims == dimensions.nbDims. " + io.name + " has rank " +
                     std::to_string(io.dims.size()) + " but the supplied dimensions " + formatShape(shape) + " have rank " +
                     std::to_string(shape.size()));
    return false;
  }
  // Checked on `dims` itself: a run sets every input's shape, and its Shape would be allocated.
  const int64_t* shape = dims.d;
  auto supplied = [&dims] { return formatShape(fromDims(dims)); };
  const ProfileRanges& ranges = shared_->desc.profiles[static_cast<size_t>(profile_)];
  const Shape& lo = ranges.min[static_cast<size_t>(i)];
  const Shape& hi = ranges.max[static_cast<size_t>(i)];
  for (size_t d = 0; d < io.dims.size(); ++d) {
    if (io.dims[d] >= 0 && shape[d] != io.dims[d]) {
      error(where, "Static dimension mismatch while setting input shape for " + io.name + ". Set dimensions are " + supplied() +
                       ". Expected dimensions are " + formatShape(io.dims) + ".");
      return false;
    }
    if (shape[d] < lo[d] || shape[d] > hi[d]) {
      error(where, "Parameter check failed, condition: inputDims within profile bounds. Supplied binding dimension " + supplied() +
                       " for bindings[" + std::to_string(i) + "] (" + io.name + ") exceed min ~ max range at index " + std::to_string(d) +
                       ", maximum dimension in profile " + std::to_string(profile_) + " is " + std::to_string(hi[d]) +
                       ", minimum dimension in profile is " + std::to_string(lo[d]) + ", but supplied dimension is " +
                       std::to_string(shape[d]) + ".");
      return false;
    }
  }
  Shape& current = inputShapes_[static_cast<size_t>(i)];
  if (!specified_[static_cast<size_t>(i)] || !std::equal(current.begin(), current.end(), shape, shape + dims.nbDims)) {
    current.assign(shape, shape + dims.nbDims);
    forgetShapes();
  }
  specified_[static_cast<size_t>(i)] = true;
  return true;
}

bool ExecutionContext::readHostInputs(std::vector<std::vector<uint8_t>>& values, std::string& why) const {
  values.assign(inputShapes_.size(), {});
  for (size_t i = 0; i < inputShapes_.size(); ++i) {
    if (!shared_->hostIo[i] || !addressSet_[i] || addresses_[i] == nullptr || !specified_[i]) continue;
    // TensorRT dereferences a kHOST tensor's address on the CPU: device memory there would crash
    // the process on a GPU; the simulator refuses it.
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, addresses_[i]) != cudaSuccess || attributes.type == cudaMemoryTypeDevice) {
      cudaGetLastError();
      why = "the address of shape tensor " + shared_->desc.io[i].name +
            " is device memory, but its location is TensorLocation::kHOST: TensorRT reads it on the CPU (segmentation fault on a GPU)";
      return false;
    }
    size_t bytes = static_cast<size_t>(volume(inputShapes_[i])) * elementSize(shared_->desc.io[i].type);
    const auto* begin = static_cast<const uint8_t*>(addresses_[i]);
    values[i].assign(begin, begin + bytes);
    if (values[i].empty()) values[i].push_back(0);  // known, if empty
  }
  return true;
}

const std::vector<Shape>* ExecutionContext::currentShapes(std::string& why) const {
  if (!readHostInputs(hostValues_, why)) return nullptr;
  return shapesWithValues(hostValues_, why);
}

const std::vector<Shape>* ExecutionContext::shapesWithValues(const std::vector<std::vector<uint8_t>>& values, std::string& why) const {
  if (shapesKnown_) return &shapes_;
  std::vector<Shape> inputs;
  for (size_t i = 0; i < inputShapes_.size(); ++i) inputs.push_back(specified_[i] ? inputShapes_[i] : shared_->desc.io[i].dims);
  if (!trtsim::shapesWithValues(*shared_, inputs, values, shapes_, why)) return nullptr;
  shapesKnown_ = !hasHostInputs_;
  return &shapes_;
}

nvinfer1::Dims ExecutionContext::getTensorShape(const char* name) const noexcept {
  nvinfer1::Dims none{};
  none.nbDims = -1;
  int i = shared_->ioIndex(name);
  if (i < 0) return none;
  std::string why;
  const std::vector<Shape>* shapes = currentShapes(why);
  if (!shapes) {
    error("IExecutionContext::getTensorShape", why);
    return none;
  }
  return toDims((*shapes)[static_cast<size_t>(shared_->desc.io[static_cast<size_t>(i)].tensor)]);
}

nvinfer1::Dims ExecutionContext::getTensorStrides(const char* name) const noexcept {
  nvinfer1::Dims dims = getTensorShape(name);
  if (dims.nbDims < 0) return dims;
  nvinfer1::Dims strides = dims;
  int64_t stride = 1;
  for (int32_t d = dims.nbDims; d-- > 0;) {
    strides.d[d] = stride;
    stride *= std::max<int64_t>(dims.d[d], 1);
  }
  return strides;
}

bool ExecutionContext::allInputDimensionsSpecified() const noexcept {
  return std::all_of(specified_.begin(), specified_.end(), [](bool s) { return s; });
}

int32_t ExecutionContext::inferShapes(int32_t nbMaxNames, const char** names) noexcept {
  int32_t missing = 0;
  for (size_t i = 0; i < specified_.size(); ++i) {
    bool valueMissing = shared_->hostIo[i] && (!addressSet_[i] || addresses_[i] == nullptr);
    if (specified_[i] && !valueMissing) continue;
    if (names && missing < nbMaxNames) names[missing] = shared_->desc.io[i].name.c_str();
    ++missing;
  }
  if (missing) return missing;
  std::string why;
  if (!currentShapes(why)) {
    error("IExecutionContext::inferShapes", why);
    return -1;
  }
  return 0;
}

size_t ExecutionContext::updateDeviceMemorySizeForShapes() noexcept {
  const char* where = "IExecutionContext::updateDeviceMemorySizeForShapes";
  if (!allInputDimensionsSpecified()) {
    error(where, "all input shapes must be set before the memory they need can be computed");
    return 0;
  }
  std::string why;
  int64_t bytes = activationBytes(shared_->desc.graph, inputShapes_, why);
  if (bytes < 0) {
    error(where, why);
    return 0;
  }
  return static_cast<size_t>(bytes);
}

bool ExecutionContext::setTensorAddress(const char* name, void* data) noexcept {
  int i = shared_->ioIndex(name);
  if (i < 0) {
    error("IExecutionContext::setTensorAddress",
          std::string("Given invalid tensor name: ") + (name ? name : "(null)") + ". Get valid tensor names with getIOTensorName()");
    return false;
  }
  size_t align = elementSize(shared_->desc.io[static_cast<size_t>(i)].type);
  if (reinterpret_cast<uintptr_t>(data) % align != 0) {
    error("IExecutionContext::setTensorAddress",
          "Address of " + std::string(name) + " is not aligned to " + std::to_string(align) + " bytes");
    return false;
  }
  addresses_[static_cast<size_t>(i)] = data;
  addressSet_[static_cast<size_t>(i)] = true;
  return true;
}

const void* ExecutionContext::getTensorAddress(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  return i < 0 ? nullptr : addresses_[static_cast<size_t>(i)];
}

bool ExecutionContext::setInputTensorAddress(const char* name, const void* data) noexcept {
  int i = shared_->ioIndex(name);
  if (i >= 0 && shared_->desc.io[static_cast<size_t>(i)].mode != nvinfer1::TensorIOMode::kINPUT) {
    error("IExecutionContext::setInputTensorAddress", std::string(name) + " is not an input tensor");
    return false;
  }
  return setTensorAddress(name, const_cast<void*>(data));
}

bool ExecutionContext::setOutputTensorAddress(const char* name, void* data) noexcept {
  int i = shared_->ioIndex(name);
  if (i >= 0 && shared_->desc.io[static_cast<size_t>(i)].mode != nvinfer1::TensorIOMode::kOUTPUT) {
    error("IExecutionContext::setOutputTensorAddress", std::string(name) + " is not an output tensor");
    return false;
  }
  return setTensorAddress(name, data);
}

void* ExecutionContext::getOutputTensorAddress(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  if (i < 0 || shared_->desc.io[static_cast<size_t>(i)].mode != nvinfer1::TensorIOMode::kOUTPUT) return nullptr;
  return addresses_[static_cast<size_t>(i)];
}

bool ExecutionContext::setOutputAllocator(const char* name, nvinfer1::IOutputAllocator* allocator) noexcept {
  int i = shared_->ioIndex(name);
  if (i < 0 || shared_->desc.io[static_cast<size_t>(i)].mode != nvinfer1::TensorIOMode::kOUTPUT) {
    error("IExecutionContext::setOutputAllocator", std::string("Given invalid output tensor name: ") + (name ? name : "(null)"));
    return false;
  }
  allocators_[static_cast<size_t>(i)] = allocator;
  return true;
}

nvinfer1::IOutputAllocator* ExecutionContext::getOutputAllocator(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  return i < 0 ? nullptr : allocators_[static_cast<size_t>(i)];
}

int64_t ExecutionContext::getMaxOutputSize(const char* name) const noexcept {
  int i = shared_->ioIndex(name);
  if (i < 0) return -1;
  const ProfileRanges& ranges = shared_->desc.profiles[static_cast<size_t>(profile_)];
  std::vector<Shape> shapes;
  std::string why;
  if (!shapesFor(shared_->desc.graph, ranges.max, shapes, why)) return -1;
  const IOTensor& io = shared_->desc.io[static_cast<size_t>(i)];
  int64_t count = volume(shapes[static_cast<size_t>(io.tensor)]);
  return count < 0 ? -1 : count * static_cast<int64_t>(elementSize(io.type));
}

bool ExecutionContext::enqueueV3(cudaStream_t stream) noexcept {
  const char* where = "IExecutionContext::enqueueV3";
  if (enqueueing_.exchange(true)) {
    error(where, "enqueueV3 called concurrently on one execution context from two threads; an execution context is not thread-safe");
    return false;
  }
  struct Release {
    std::atomic<bool>& flag;
    ~Release() { flag = false; }
  } release{enqueueing_};
  try {
    {
      std::lock_guard<std::mutex> lock(activity_->mutex);
      if (activity_->inFlight.load() > 0 && activity_->stream != stream) {
        error(where, "the execution context still has a run in flight on another stream; one context runs on one stream at a time");
        return false;
      }
    }
    {
      // Kernels launch on the calling thread's current device; a stream of another device, or an
      // engine whose kernels were loaded on another device, fails the launch as CUDA does.
      int current = -1;
      int streamDevice = -1;
      if (cudaGetDevice(&current) != cudaSuccess || cudaStreamGetDevice(stream, &streamDevice) != cudaSuccess) {
        cudaError_t status = cudaGetLastError();
        logError(shared_->logger, ErrorKind::kInternal, where, std::string("Cuda Runtime (") + cudaGetErrorString(status) + ")");
        return false;
      }
      if (streamDevice != current || shared_->device != current) {
        logError(shared_->logger, ErrorKind::kInternal, where,
                 std::string("Cuda Runtime (") + cudaGetErrorString(cudaErrorInvalidResourceHandle) + ")");
        return false;
      }
    }
    std::string missing;
    for (size_t i = 0; i < specified_.size(); ++i) {
      if (!specified_[i]) missing += (missing.empty() ? "" : ", ") + shared_->desc.io[i].name;
    }
    if (!missing.empty()) {
      error(where,
            "Parameter check failed, condition: mContext.profileObliviousBindings.at(profileObliviousIndex) || "
            "getPtrOrNull(mOutputAllocators, profileObliviousIndex). "
            "Not all shapes are specified. Following input dimensions are not specified: " +
                missing);
      return false;
    }
    if (strategy_ == nvinfer1::ExecutionContextAllocationStrategy::kUSER_MANAGED) {
      // What the current shapes need (updateDeviceMemorySizeForShapes), at most the profile's.
      std::string why;
      int64_t need = activationBytes(shared_->desc.graph, inputShapes_, why);
      if (need < 0) need = engine_.getDeviceMemorySizeForProfileV2(profile_);
      if (need > 0 && (!deviceMemory_ || deviceMemorySize_ < need)) {
        error(where, "Device memory is insufficient: the shapes need " + std::to_string(need) + " bytes but " +
                         std::to_string(deviceMemorySize_) + " were set; call setDeviceMemoryV2 first");
        return false;
      }
      // TensorRT's kernels use the memory as scratch from here until the run completes: another
      // context using it meanwhile corrupts both runs. Memory that is not device memory fails.
      if (need > 0 && cudaMemsetAsync(deviceMemory_, 0xA5, static_cast<size_t>(need), stream) != cudaSuccess) {
        cudaGetLastError();
        error(where, "the device memory set with setDeviceMemoryV2 is not " + std::to_string(need) + " bytes of device memory");
        return false;
      }
    }
    // Shape tensors' values are read through their host pointers now: TensorRT copies them when
    // enqueueV3 is called, so the application may reuse the memory once it returns.
    std::unique_ptr<Job> job = takeJob(*activity_);
    std::vector<std::vector<uint8_t>>& hostInputs = job->hostInputs;
    std::string why;
    const std::vector<Shape>* known = readHostInputs(hostInputs, why) ? shapesWithValues(hostInputs, why) : nullptr;
    if (!known) {
      error(where, why);
      return false;
    }
    const std::vector<Shape>& shapes = *known;
    const EngineDesc& desc = shared_->desc;
    for (size_t i = 0; i < hostInputs.size(); ++i) {
      if (shared_->hostIo[i] && hostInputs[i].empty()) {
        error(where, "Parameter check failed, condition: address of shape tensor " + desc.io[i].name +
                         " was set. Its value decides output shapes: set a host address with setTensorAddress before enqueueV3.");
        return false;
      }
    }
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(stream, &capture) != cudaSuccess) {
      cudaGetLastError();
      error(where, "the stream is not a valid CUDA stream");
      return false;
    }
    bool capturing = capture == cudaStreamCaptureStatusActive;
    if (capturing && (!warmed_ || profilePending_)) {
      error(
          where,
          "enqueueV3 cannot be captured before the context has run enqueueV3 once outside a capture with its current optimization profile "
          "(TensorRT sets up the profile's resources on that call)");
      return false;
    }
    if (capturing && activity_->inFlight.load() > 0) {
      error(where,
            "enqueueV3 cannot be captured while an earlier run of this context is still executing; synchronize the stream after the "
            "uncaptured enqueueV3 before capturing");
      return false;
    }
    std::vector<void*>& addresses = job->addresses;
    addresses = addresses_;
    std::string& foreignTensor = job->foreignTensor;
    foreignTensor.clear();
    if (deviceMemory_ != nullptr) {
      cudaPointerAttributes arena{};
      if (cudaPointerGetAttributes(&arena, deviceMemory_) != cudaSuccess) {
        cudaGetLastError();
      } else if (arena.type == cudaMemoryTypeDevice && arena.device != shared_->device) {
        foreignTensor = "the execution context's device memory";
      }
    }
    bool dataDependent = false;
    for (size_t i = 0; i < desc.io.size(); ++i) {
      const IOTensor& io = desc.io[i];
      int64_t count = volume(shapes[static_cast<size_t>(io.tensor)]);
      if (io.mode == nvinfer1::TensorIOMode::kOUTPUT && count < 0) {
        if (!allocators_[i]) {
          error(where, "Neither address nor output allocator is set for output tensor " + io.name +
                           ", whose shape depends on the data; call setOutputAllocator for it.");
          return false;
        }
        dataDependent = true;
        continue;
      }
      int64_t bytes = count * static_cast<int64_t>(elementSize(io.type));
      if (io.mode == nvinfer1::TensorIOMode::kOUTPUT && allocators_[i]) {
        void* memory = allocators_[i]->reallocateOutputAsync(io.name.c_str(), addresses_[i], static_cast<uint64_t>(bytes), 256, stream);
        if (!memory && bytes > 0) {
          error(where, "the output allocator returned no memory for " + io.name);
          return false;
        }
        addresses[i] = memory;
        allocators_[i]->notifyShape(io.name.c_str(), toDims(shapes[static_cast<size_t>(io.tensor)]));
        continue;
      }
      int alias = shared_->aliasOf[i];
      if (alias >= 0 && addresses_[i] != addresses_[static_cast<size_t>(alias)]) {
        error(where, "Output tensor " + io.name + " is updated in place and must share the memory of input " +
                         desc.io[static_cast<size_t>(alias)].name + " (ICudaEngine::getAliasedInputTensor): set the same address for both");
        return false;
      }
      if (bytes > 0 && (!addressSet_[i] || !addresses_[i])) {
        error(where, "Parameter check failed, condition: address of tensor " + io.name +
                         " was set. Set the address of every input and output tensor with setTensorAddress before enqueueV3.");
        return false;
      }
      if (bytes > 0 && shared_->onHost(static_cast<int>(i))) {
        cudaPointerAttributes attributes{};
        if (cudaPointerGetAttributes(&attributes, addresses_[i]) != cudaSuccess || attributes.type == cudaMemoryTypeDevice) {
          cudaGetLastError();
          error(where, "the address of shape tensor " + io.name + " is device memory, but its location is TensorLocation::kHOST");
          return false;
        }
      }
      if (bytes > 0 && !shared_->onHost(static_cast<int>(i))) {
        cudaPointerAttributes attributes{};
        if (cudaPointerGetAttributes(&attributes, addresses_[i]) != cudaSuccess || attributes.type != cudaMemoryTypeDevice) {
          cudaGetLastError();
          error(where, "the address of tensor " + io.name + " is not device memory");
          return false;
        }
        if (attributes.device != shared_->device && foreignTensor.empty()) foreignTensor = io.name;
      }
    }
    std::vector<Shape>& inputShapes = job->inputShapes;
    inputShapes = inputShapes_;
    if (!capturing) {
      // An uncaptured enqueue applies a pending profile switch and rewrites the state that runs
      // captured earlier read.
      activity_->appliedProfile = profile_;
      activity_->generation++;
      profilePending_ = false;
      warmed_ = true;
    }
    if (!foreignTensor.empty() && dataDependent) {
      logError(shared_->logger, ErrorKind::kInternal, where,
               "execution failed: a kernel read " + foreignTensor + " in memory of another device");
      trtnSimRaiseKernelFault(cudaErrorIllegalAddress);
      return false;
    }
    if (dataDependent) {
      // Like TensorRT, an engine with data-dependent output shapes waits for its stream inside
      // enqueueV3: output memory can only be requested once the sizes are known.
      cudaError_t status = cudaStreamSynchronize(stream);
      if (status != cudaSuccess) {
        cudaGetLastError();
        logError(shared_->logger, ErrorKind::kInternal, where, std::string("Cuda Runtime (") + cudaGetErrorString(status) + ")");
        return false;
      }
      const std::vector<Value>& values = execute(*shared_, inputShapes, addresses, hostInputs);
      for (size_t i = desc.graph.inputs.size(); i < desc.io.size(); ++i) {
        const Value& output = values[static_cast<size_t>(desc.io[i].tensor)];
        int64_t bytes = volume(output.dims) * static_cast<int64_t>(elementSize(output.type));
        const Shape& planned = shapes[static_cast<size_t>(desc.io[i].tensor)];
        if (allocators_[i] && volume(planned) < 0) {
          // TensorRT asks for its kernels' alignment, which may exceed cudaMalloc's 256 bytes, and
          // for at least one byte even when the output is empty.
          void* memory = allocators_[i]->reallocateOutputAsync(
              desc.io[i].name.c_str(), addresses_[i], static_cast<uint64_t>(std::max<int64_t>(bytes, 1)), kDataDependentAlignment, stream);
          if (!memory) {
            error(where, "the output allocator returned no memory for " + desc.io[i].name);
            return false;
          }
          if (reinterpret_cast<uintptr_t>(memory) % kDataDependentAlignment != 0) {
            error(where, "the output allocator returned memory for " + desc.io[i].name + " that is not aligned to the " +
                             std::to_string(kDataDependentAlignment) + " bytes asked for");
            return false;
          }
          addresses[i] = memory;
          Shape reported = output.dims;
          // TensorRT 10.16.1 reports the data-dependent extents as -1 here (NVIDIA/TensorRT#4744).
          if (notifyWildcards()) {
            for (size_t d = 0; d < reported.size() && d < planned.size(); ++d)
              if (planned[d] < 0) reported[d] = -1;
          }
          allocators_[i]->notifyShape(desc.io[i].name.c_str(), toDims(reported));
        }
        if (bytes > 0) encode(output, addresses[i]);
      }
      if (consumedEvent_) cudaEventRecord(consumedEvent_, stream);
      recycle(*activity_, std::move(job));
      return true;
    }
    job->engine = shared_;
    job->activity = activity_;
    job->profile = profile_;
    job->generation = activity_->generation.load();
    job->outputBytes.clear();
    for (size_t i = desc.graph.inputs.size(); i < desc.io.size(); ++i) {
      job->outputBytes.push_back(volume(shapes[static_cast<size_t>(desc.io[i].tensor)]) *
                                 static_cast<int64_t>(elementSize(desc.io[i].type)));
    }
    if (capturing) {
      // Captured work replays with the shapes and addresses of now, as TensorRT's kernels do.
      cudaError_t status = cudaLaunchHostFunc(stream, runCapturedJob, job.get());
      if (status != cudaSuccess) {
        cudaGetLastError();
        logError(shared_->logger, ErrorKind::kInternal, where, std::string("Cuda Runtime (") + cudaGetErrorString(status) + ")");
        return false;
      }
      capturedJobs_.push_back(std::move(job));
      return true;
    }
    {
      std::lock_guard<std::mutex> lock(activity_->mutex);
      activity_->stream = stream;
      activity_->inFlight++;
    }
    Job* raw = job.release();
    cudaError_t status = cudaStreamAddCallback(stream, runJob, raw, 0);
    if (status != cudaSuccess) {
      cudaGetLastError();
      activity_->inFlight--;
      delete raw;
      logError(shared_->logger, ErrorKind::kInternal, where, std::string("Cuda Runtime (") + cudaGetErrorString(status) + ")");
      return false;
    }
    if (consumedEvent_) cudaEventRecord(consumedEvent_, stream);
    return true;
  } catch (const std::exception& e) {
    logError(shared_->logger, ErrorKind::kInternal, where, e.what());
    return false;
  }
}

}  // namespace trtsim
