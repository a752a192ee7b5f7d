#include "cuda/devices.h"

#include <cuda_runtime_api.h>

#include <string>

#include "cuda/deferred_release.h"
#include "errors.h"

namespace trtn {
namespace {

Napi::Object ErrorInfo(Napi::Env env, cudaError_t status, const std::string& operation) {
  Napi::Object error = Napi::Object::New(env);
  error.Set("code", status == cudaErrorMemoryAllocation ? ErrorCode::kOutOfMemory : ErrorCode::kCuda);
  error.Set("name", cudaGetErrorName(status));
  error.Set("message", std::string(operation) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
  return error;
}

// cudaInfo(): { available, runtimeVersion, driverVersion, deviceCount, error? }
Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  int runtime = 0;
  int driver = 0;
  int count = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);  // 0 when no driver is installed
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // reported here; leave no stale error for the next call
    count = 0;
  }
  result.Set("runtimeVersion", runtime);
  result.Set("driverVersion", driver);
  result.Set("deviceCount", count);
  result.Set("available", status == cudaSuccess && count > 0);
  if (status != cudaSuccess) result.Set("error", ErrorInfo(env, status, "cudaGetDeviceCount"));
  return result;
}

// devices(): [{ index, name, computeCapability: [major, minor], totalMemory, multiProcessorCount, uuid }]
Napi::Value Devices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int count = 0;
  CheckCuda(env, cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  Napi::Array list = Napi::Array::New(env, count);
  for (int index = 0; index < count; ++index) {
    cudaDeviceProp prop{};
    CheckCuda(env, cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties(" + std::to_string(index) + ")");
    Napi::Object device = Napi::Object::New(env);
    device.Set("index", index);
    device.Set("name", prop.name);
    Napi::Array capability = Napi::Array::New(env, 2);
    capability.Set(0u, prop.major);
    capability.Set(1u, prop.minor);
    device.Set("computeCapability", capability);
    device.Set("totalMemory", static_cast<double>(prop.totalGlobalMem));
    device.Set("multiProcessorCount", prop.multiProcessorCount);
    static const char kHex[] = "0123456789abcdef";
    std::string uuid;
    for (unsigned char byte : prop.uuid.bytes) {
      uuid += kHex[byte >> 4];
      uuid += kHex[byte & 15];
    }
    device.Set("uuid", uuid);
    list.Set(static_cast<uint32_t>(index), device);
  }
  return list;
}

// memoryInfo(device): { free, total } in bytes for that device.
Napi::Value MemoryInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int device = info[0].As<Napi::Number>().Int32Value();
  int previous = 0;
  CheckCuda(env, cudaGetDevice(&previous), "cudaGetDevice");
  CheckCuda(env, cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");
  size_t free = 0;
  size_t total = 0;
  cudaError_t status = cudaMemGetInfo(&free, &total);
  cudaSetDevice(previous);
  CheckCuda(env, status, "cudaMemGetInfo");
  Napi::Object result = Napi::Object::New(env);
  result.Set("free", static_cast<double>(free));
  result.Set("total", static_cast<double>(total));
  return result;
}

Napi::Value PendingReleasesCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(PendingReleases()));
}

}  // namespace

void InitDevices(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaInfo", Napi::Function::New<CudaInfo>(env, "cudaInfo"));
  exports.Set("devices", Napi::Function::New<Devices>(env, "devices"));
  exports.Set("memoryInfo", Napi::Function::New<MemoryInfo>(env, "memoryInfo"));
  exports.Set("pendingReleases", Napi::Function::New<PendingReleasesCount>(env, "pendingReleases"));
}

}  // namespace trtn
