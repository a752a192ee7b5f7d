// Checks that the simulated TensorRT enforces TensorRT's contract and fails the way TensorRT
// fails (false/nullptr plus a logger error), for the misuses the addon never commits itself.
// Run by test/sim/trt-sim-contract.test.ts with an ONNX model (x[batch,4] -> y[batch,3], profile
// batch 1..8 is built here) as its argument; prints one line per check and exits non-zero if any
// check failed.
#include <NvInfer.h>
#include <NvOnnxParser.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct CapturingLogger : nvinfer1::ILogger {
  std::mutex mutex;
  std::vector<std::string> errors;
  void log(Severity severity, const char* msg) noexcept override {
    if (severity > Severity::kWARNING) return;
    std::lock_guard<std::mutex> lock(mutex);
    errors.emplace_back(msg);
  }
  // True when an error containing `needle` was logged since the last call.
  bool Logged(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mutex);
    bool found = false;
    for (const std::string& line : errors) found = found || line.find(needle) != std::string::npos;
    errors.clear();
    return found;
  }
};

int failures = 0;
void Check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

nvinfer1::Dims Dims2(int64_t a, int64_t b) {
  nvinfer1::Dims d{};
  d.nbDims = 2;
  d.d[0] = a;
  d.d[1] = b;
  return d;
}

// A host function that holds its stream until Open() is called, like a long kernel.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  static void Wait(void* self) {
    auto* gate = static_cast<Gate*>(self);
    std::unique_lock<std::mutex> lock(gate->mutex);
    gate->cv.wait(lock, [&] { return gate->open; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex);
    open = true;
    cv.notify_all();
  }
};

struct RecordingAllocator : nvinfer1::IOutputAllocator {
  void* memory = nullptr;
  uint64_t requested = 0;
  nvinfer1::Dims shape{};
  void* reallocateOutputAsync(const char*, void*, uint64_t size, uint64_t, cudaStream_t) override {
    requested = size;
    if (memory == nullptr) cudaMalloc(&memory, size);
    return memory;
  }
  void notifyShape(const char*, const nvinfer1::Dims& dims) noexcept override { shape = dims; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::ifstream file(argv[1], std::ios::binary);
  std::vector<char> onnx((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  CapturingLogger logger;

  Check(createInferRuntime_INTERNAL(&logger, 100000) == nullptr && logger.Logged("API version"),
        "a runtime for another major API version is refused");

  auto* builder = nvinfer1::createInferBuilder(logger);
  auto* network = builder->createNetworkV2(0);
  auto* parser = nvonnxparser::createParser(*network, logger);
  Check(parser->parse(onnx.data(), onnx.size()), "the ONNX model parses");
  Check(!parser->parse(onnx.data(), onnx.size()) && parser->getNbErrors() > 0, "a network is parsed only once");
  logger.Logged("");
  auto* other = builder->createNetworkV2(0);
  auto* otherParser = nvonnxparser::createParser(*other, logger);
  Check(!otherParser->parse("garbage", 7) && logger.Logged("not a serialized ModelProto") && otherParser->getNbErrors() == 1 &&
            otherParser->getError(0)->code() == nvonnxparser::ErrorCode::kMODEL_DESERIALIZE_FAILED,
        "garbage is not a model");
  delete otherParser;
  delete other;
  auto* config = builder->createBuilderConfig();
  auto* incomplete = builder->createOptimizationProfile();
  incomplete->setDimensions("x", nvinfer1::OptProfileSelector::kMIN, Dims2(1, 4));
  Check(config->addOptimizationProfile(incomplete) == -1 && logger.Logged("has no kOPT dimensions"),
        "a profile without kOPT/kMAX is refused");
  auto* profile = builder->createOptimizationProfile();
  profile->setDimensions("x", nvinfer1::OptProfileSelector::kMIN, Dims2(1, 4));
  profile->setDimensions("x", nvinfer1::OptProfileSelector::kOPT, Dims2(4, 4));
  profile->setDimensions("x", nvinfer1::OptProfileSelector::kMAX, Dims2(8, 4));
  Check(config->addOptimizationProfile(profile) == 0, "a complete profile is accepted");
  auto* wrongFixed = builder->createOptimizationProfile();
  wrongFixed->setDimensions("x", nvinfer1::OptProfileSelector::kMIN, Dims2(1, 5));
  wrongFixed->setDimensions("x", nvinfer1::OptProfileSelector::kOPT, Dims2(1, 5));
  wrongFixed->setDimensions("x", nvinfer1::OptProfileSelector::kMAX, Dims2(1, 5));
  auto* badConfig = builder->createBuilderConfig();
  badConfig->addOptimizationProfile(wrongFixed);
  Check(builder->buildSerializedNetwork(*network, *badConfig) == nullptr && logger.Logged("but the network fixes it to 4"),
        "a profile that contradicts a fixed dimension fails the build");
  nvinfer1::IHostMemory* plan = builder->buildSerializedNetwork(*network, *config);
  Check(plan != nullptr, "the engine builds");

  auto* runtime = nvinfer1::createInferRuntime(logger);
  auto* engine = runtime->deserializeCudaEngine(plan->data(), plan->size());
  Check(engine != nullptr && engine->getNbIOTensors() == 2, "the plan deserializes");
  auto* context = engine->createExecutionContext();
  cudaStream_t a = nullptr, b = nullptr;
  cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking);
  cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking);
  void* x = nullptr;
  void* y = nullptr;
  cudaMalloc(&x, 8 * 4 * 4);
  cudaMalloc(&y, 8 * 3 * 4);

  Check(!context->enqueueV3(a) && logger.Logged("Not all shapes are specified"), "enqueue before setInputShape fails");
  Check(!context->setInputShape("x", Dims2(9, 4)) && logger.Logged("exceed min ~ max range"), "a shape outside the profile is refused");
  Check(!context->setInputShape("x", Dims2(2, 5)) && logger.Logged("Static dimension mismatch"), "a wrong fixed dimension is refused");
  Check(!context->setInputShape("y", Dims2(2, 3)) && logger.Logged("invalid tensor name"), "setInputShape on an output is refused");
  Check(context->setInputShape("x", Dims2(2, 4)), "a shape inside the profile is accepted");
  nvinfer1::Dims out = context->getTensorShape("y");
  Check(out.nbDims == 2 && out.d[0] == 2 && out.d[1] == 3, "the output shape follows the input shape");
  Check(!context->enqueueV3(a) && logger.Logged("address of tensor x was set"), "enqueue without addresses fails");
  std::vector<float> host(8 * 4);
  context->setTensorAddress("x", host.data());
  context->setTensorAddress("y", y);
  Check(!context->enqueueV3(a) && logger.Logged("not device memory"), "a host pointer as a tensor address is refused");
  Check(!context->setTensorAddress("x", static_cast<char*>(x) + 1) && logger.Logged("not aligned"), "a misaligned address is refused");
  context->setTensorAddress("x", x);
  Check(!context->setOptimizationProfileAsync(1, a) && logger.Logged("does not exist"), "a profile index out of range is refused");

  Gate gate;
  cudaLaunchHostFunc(a, Gate::Wait, &gate);
  Check(context->enqueueV3(a), "enqueue behind busy work on the same stream is accepted");
  Check(context->enqueueV3(a), "a second enqueue on the same stream is ordered and accepted");
  Check(!context->enqueueV3(b) && logger.Logged("in flight on another stream"),
        "enqueue on a second stream while runs are in flight fails");
  Check(!context->setOptimizationProfileAsync(0, b) && logger.Logged("cannot switch profiles"),
        "switching profiles with runs in flight fails");
  gate.Open();
  cudaStreamSynchronize(a);
  Check(context->enqueueV3(b), "after the runs finish the context can move to another stream");
  cudaStreamSynchronize(b);

  RecordingAllocator allocator;
  Check(context->setOutputAllocator("y", &allocator), "an output allocator is accepted for an output");
  Check(context->enqueueV3(a) && allocator.requested == 2 * 3 * 4 && allocator.shape.nbDims == 2 && allocator.shape.d[1] == 3,
        "the output allocator is asked for the output's memory and told its shape");
  cudaStreamSynchronize(a);
  context->setOutputAllocator("y", nullptr);

  auto* manual = engine->createExecutionContext(nvinfer1::ExecutionContextAllocationStrategy::kUSER_MANAGED);
  manual->setInputShape("x", Dims2(2, 4));
  manual->setTensorAddress("x", x);
  manual->setTensorAddress("y", y);
  Check(!manual->enqueueV3(a) && logger.Logged("setDeviceMemoryV2"), "a user-managed context needs its device memory first");
  void* scratch = nullptr;
  cudaMalloc(&scratch, static_cast<size_t>(engine->getDeviceMemorySizeV2()));
  manual->setDeviceMemoryV2(scratch, engine->getDeviceMemorySizeV2());
  Check(manual->enqueueV3(a), "with device memory set it runs");
  cudaStreamSynchronize(a);
  delete manual;

  // Deleting a context frees its device memory, which waits for the device: the gate opens once
  // the deletion has reported the queued run, as a real kernel would finish eventually.
  Gate late;
  cudaLaunchHostFunc(a, Gate::Wait, &late);
  context->enqueueV3(a);
  bool reported = false;
  std::thread opener([&] {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(logger.mutex);
        for (const std::string& line : logger.errors) reported = reported || line.find("have not finished") != std::string::npos;
      }
      if (reported) break;
      std::this_thread::yield();
    }
    late.Open();
  });
  delete context;
  opener.join();
  logger.Logged("");
  Check(reported, "destroying a context with queued runs is reported");
  cudaStreamSynchronize(a);

  auto* orphaned = engine->createExecutionContext();
  delete engine;
  Check(logger.Logged("execution contexts are still alive"), "destroying an engine before its contexts is reported");
  delete orphaned;

  delete runtime;
  delete plan;
  delete config;
  delete badConfig;
  delete parser;
  delete network;
  delete builder;
  cudaFree(x);
  cudaFree(y);
  cudaFree(scratch);
  cudaStreamDestroy(a);
  cudaStreamDestroy(b);
  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
