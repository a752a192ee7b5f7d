// Memory entry points: device memory is host memory tracked by the registry, so pointers and
// ranges are validated exactly and out-of-memory follows the configured cap.
#include <cuda_runtime_api.h>

#include <cstring>

#include "sim_state.h"
#include "stream.h"

using namespace trtn::cudasim;

namespace {

cudaError_t validate_copy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (count == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr) return cudaErrorInvalidValue;
  const MemoryRegistry& m = memory();
  switch (kind) {
    case cudaMemcpyHostToHost:
      return cudaSuccess;
    case cudaMemcpyHostToDevice:
      return m.is_device_range(dst, count) ? cudaSuccess : cudaErrorInvalidValue;
    case cudaMemcpyDeviceToHost:
      return m.is_device_range(src, count) ? cudaSuccess : cudaErrorInvalidValue;
    case cudaMemcpyDeviceToDevice:
      return m.is_device_range(src, count) && m.is_device_range(dst, count) ? cudaSuccess : cudaErrorInvalidValue;
    case cudaMemcpyDefault: {
      // With unified addressing the direction is inferred; a pointer that starts inside a
      // device allocation must have the whole range inside it.
      bool dst_ok = !m.is_device_pointer(dst) || m.is_device_range(dst, count);
      bool src_ok = !m.is_device_pointer(src) || m.is_device_range(src, count);
      return dst_ok && src_ok ? cudaSuccess : cudaErrorInvalidValue;
    }
  }
  return cudaErrorInvalidMemcpyDirection;
}

// True when the copy touches pageable host memory (neither device memory nor pinned memory).
bool touches_pageable(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  const MemoryRegistry& m = memory();
  auto pageable = [&](const void* p) { return !m.is_device_range(p, count) && !m.is_pinned_range(p, count); };
  switch (kind) {
    case cudaMemcpyHostToDevice:
      return pageable(src);
    case cudaMemcpyDeviceToHost:
      return pageable(dst);
    case cudaMemcpyHostToHost:
      return true;
    case cudaMemcpyDeviceToDevice:
      return false;
    default:
      return pageable(src) || pageable(dst);
  }
}

// Enqueues a copy on `stream`; the copy itself happens when the stream's worker reaches it.
// Copies that touch pageable host memory return only once done: CUDA stages them through pinned
// memory of its own and may synchronize with the stream to do so (device-to-pageable copies do),
// so the simulator takes the strict reading and makes them synchronous to the caller.
cudaError_t enqueue_copy(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream, bool wait) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return e;
  if (cudaError_t e = validate_copy(dst, src, count, kind); e != cudaSuccess) return e;
  if (count != 0 && touches_pageable(dst, src, count, kind)) wait = true;
  auto impl = streams().resolve(stream);
  if (!impl) return cudaErrorInvalidResourceHandle;
  streams().submit(impl, [dst, src, count] {
    if (sticky_error() != cudaSuccess) return;  // work behind a device fault never runs
    if (count != 0) std::memmove(dst, src, count);
  });
  if (wait) wait_for(*impl, impl->enqueued());
  return wait ? sticky_error() : cudaSuccess;
}

cudaError_t enqueue_set(void* ptr, int value, size_t count, cudaStream_t stream, bool wait) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return e;
  if (count != 0 && !memory().is_device_range(ptr, count)) return cudaErrorInvalidValue;
  auto impl = streams().resolve(stream);
  if (!impl) return cudaErrorInvalidResourceHandle;
  streams().submit(impl, [ptr, value, count] {
    if (sticky_error() != cudaSuccess) return;
    if (count != 0) std::memset(ptr, value, count);
  });
  if (wait) wait_for(*impl, impl->enqueued());
  return wait ? sticky_error() : cudaSuccess;
}

}  // namespace

cudaError_t CUDARTAPI cudaMalloc(void** devPtr, size_t size) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  return finish(memory().allocate_device(devPtr, size, current_device()));
}

cudaError_t CUDARTAPI cudaFree(void* devPtr) {
  if (cudaError_t e = check_context_to_release(); e != cudaSuccess) return finish(e);
  if (devPtr != nullptr && !memory().is_device_pointer(devPtr)) return finish(cudaErrorInvalidValue);
  // cudaFree synchronizes the device first, so work still queued may use the memory safely.
  streams().synchronize_all();
  cudaError_t freed = memory().free_device(devPtr);
  return finish(freed != cudaSuccess ? freed : sticky_error());
}

cudaError_t CUDARTAPI cudaHostAlloc(void** pHost, size_t size, unsigned int flags) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  constexpr unsigned kKnown = cudaHostAllocPortable | cudaHostAllocMapped | cudaHostAllocWriteCombined;
  if ((flags & ~kKnown) != 0) return finish(cudaErrorInvalidValue);
  return finish(memory().allocate_host(pHost, size));
}

cudaError_t CUDARTAPI cudaMallocHost(void** ptr, size_t size) { return cudaHostAlloc(ptr, size, cudaHostAllocDefault); }

cudaError_t CUDARTAPI cudaFreeHost(void* ptr) {
  if (cudaError_t e = check_context_to_release(); e != cudaSuccess) return finish(e);
  if (ptr != nullptr && !memory().is_pinned_pointer(ptr)) return finish(cudaErrorInvalidValue);
  streams().synchronize_all();  // like cudaFree, it waits for the device
  cudaError_t freed = memory().free_host(ptr);
  return finish(freed != cudaSuccess ? freed : sticky_error());
}

cudaError_t CUDARTAPI cudaPointerGetAttributes(struct cudaPointerAttributes* attributes, const void* ptr) {
  if (attributes == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  std::memset(attributes, 0, sizeof(*attributes));
  if (memory().is_device_pointer(ptr)) {
    attributes->type = cudaMemoryTypeDevice;
    attributes->device = memory().device_of(ptr);  // the device it was allocated on, whatever is current
    attributes->devicePointer = const_cast<void*>(ptr);
  } else if (memory().is_pinned_pointer(ptr)) {
    attributes->type = cudaMemoryTypeHost;
    attributes->device = current_device();
    attributes->devicePointer = const_cast<void*>(ptr);
    attributes->hostPointer = const_cast<void*>(ptr);
  } else {
    attributes->type = cudaMemoryTypeUnregistered;
    attributes->device = -2;  // what the runtime reports for memory it does not know
    attributes->hostPointer = const_cast<void*>(ptr);
  }
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaMemcpy(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind) {
  return finish(enqueue_copy(dst, src, count, kind, nullptr, true));
}

cudaError_t CUDARTAPI cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind, cudaStream_t stream) {
  return finish(enqueue_copy(dst, src, count, kind, stream, false));
}

cudaError_t CUDARTAPI cudaMemset(void* devPtr, int value, size_t count) { return finish(enqueue_set(devPtr, value, count, nullptr, true)); }

cudaError_t CUDARTAPI cudaMemsetAsync(void* devPtr, int value, size_t count, cudaStream_t stream) {
  return finish(enqueue_set(devPtr, value, count, stream, false));
}
