// Device, version and error-reporting entry points of the simulated CUDA runtime.
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstring>

#include "sim_state.h"
#include "stream.h"

using namespace trtn::cudasim;

namespace {

constexpr int kComputeMajor = 8;
constexpr int kComputeMinor = 9;
constexpr int kMultiProcessors = 16;

cudaError_t check_device(int device) { return (device < 0 || device >= config().device_count) ? cudaErrorInvalidDevice : cudaSuccess; }

struct ErrorText {
  cudaError_t code;
  const char* name;
  const char* text;
};

// The subset of CUDA's error codes the simulator can produce, with the runtime's own wording.
constexpr ErrorText kErrors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInitializationError, "cudaErrorInitializationError", "initialization error"},
    {cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection", "invalid copy direction for memcpy"},
    {cudaErrorInsufficientDriver, "cudaErrorInsufficientDriver", "CUDA driver version is insufficient for CUDA runtime version"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorNotReady, "cudaErrorNotReady", "device not ready"},
    {cudaErrorIllegalAddress, "cudaErrorIllegalAddress", "an illegal memory access was encountered"},
    {cudaErrorNotPermitted, "cudaErrorNotPermitted", "operation not permitted"},
    {cudaErrorNotSupported, "cudaErrorNotSupported", "operation not supported"},
    {cudaErrorUnknown, "cudaErrorUnknown", "unknown error"},
};

const ErrorText* find_error(cudaError_t code) {
  for (const auto& entry : kErrors) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

}  // namespace

cudaError_t CUDARTAPI cudaGetDeviceCount(int* count) {
  if (count == nullptr) return finish(cudaErrorInvalidValue);
  *count = 0;
  if (cudaError_t e = check_ready(); e != cudaSuccess) return finish(e);
  *count = config().device_count;
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaSetDevice(int device) {
  if (cudaError_t e = check_ready(); e != cudaSuccess) return finish(e);
  if (cudaError_t e = check_device(device); e != cudaSuccess) return finish(e);
  // cudaSetDevice initializes the device's primary context, which compute mode Prohibited refuses.
  if (prohibited(device)) return finish(cudaErrorDevicesUnavailable);
  set_current_device(device);
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaGetDevice(int* device) {
  if (device == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_ready(); e != cudaSuccess) return finish(e);
  *device = current_device();
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaGetDeviceProperties(struct cudaDeviceProp* prop, int device) {
  if (prop == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_ready(); e != cudaSuccess) return finish(e);
  if (cudaError_t e = check_device(device); e != cudaSuccess) return finish(e);
  std::memset(prop, 0, sizeof(*prop));
  std::snprintf(prop->name, sizeof(prop->name), "tensorrt-node simulated GPU %d", device);
  prop->uuid.bytes[0] = static_cast<char>(device + 1);
  prop->totalGlobalMem = config().device_memory;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->major = kComputeMajor;
  prop->minor = kComputeMinor;
  prop->multiProcessorCount = kMultiProcessors;
  prop->canMapHostMemory = 1;
  prop->unifiedAddressing = 1;
  prop->pciDeviceID = device;
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaDeviceGetAttribute(int* value, enum cudaDeviceAttr attr, int device) {
  if (value == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_ready(); e != cudaSuccess) return finish(e);
  if (cudaError_t e = check_device(device); e != cudaSuccess) return finish(e);
  switch (attr) {
    case cudaDevAttrComputeCapabilityMajor:
      *value = kComputeMajor;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor:
      *value = kComputeMinor;
      return cudaSuccess;
    case cudaDevAttrMultiProcessorCount:
      *value = kMultiProcessors;
      return cudaSuccess;
    case cudaDevAttrWarpSize:
      *value = 32;
      return cudaSuccess;
    case cudaDevAttrMaxThreadsPerBlock:
      *value = 1024;
      return cudaSuccess;
    case cudaDevAttrIntegrated:
      *value = 0;
      return cudaSuccess;
    default:
      return finish(cudaErrorNotSupported);  // an attribute this simulator does not model
  }
}

cudaError_t CUDARTAPI cudaMemGetInfo(size_t* free, size_t* total) {
  if (free == nullptr || total == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  *total = config().device_memory;
  *free = config().device_memory - memory().device_bytes_in_use(current_device());
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaDeviceSynchronize(void) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  streams().synchronize_all();
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaDriverGetVersion(int* driverVersion) {
  if (driverVersion == nullptr) return finish(cudaErrorInvalidValue);
  *driverVersion = config().driver_version;  // 0 without a driver, like the real runtime
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaRuntimeGetVersion(int* runtimeVersion) {
  if (runtimeVersion == nullptr) return finish(cudaErrorInvalidValue);
  *runtimeVersion = CUDART_VERSION;
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaGetLastError(void) { return take_last_error(); }

cudaError_t CUDARTAPI cudaPeekAtLastError(void) { return peek_last_error(); }

const char* CUDARTAPI cudaGetErrorName(cudaError_t error) {
  const ErrorText* entry = find_error(error);
  return entry != nullptr ? entry->name : "unrecognized error code";
}

const char* CUDARTAPI cudaGetErrorString(cudaError_t error) {
  const ErrorText* entry = find_error(error);
  return entry != nullptr ? entry->text : "unrecognized error code";
}
