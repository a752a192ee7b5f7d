// Process-wide state of the simulated CUDA runtime: configuration, current device, memory
// registry and the per-thread "last error". One instance per process, like the real driver,
// which is why this library is built as a shared object that the addon and the simulated
// TensorRT library both link.
#pragma once

#include <cuda_runtime_api.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

namespace trtn::cudasim {

struct Config {
  int device_count = 1;               // TENSORRT_NODE_SIM_DEVICES (0 simulates "no device")
  size_t device_memory = 4ull << 30;  // TENSORRT_NODE_SIM_DEVICE_MEMORY, the fake memory cap in bytes
  int driver_version = 13000;         // TENSORRT_NODE_SIM_DRIVER_VERSION (0 simulates "no driver")
  // TENSORRT_NODE_SIM_PROHIBITED_DEVICES ("0", "0,2"): devices in compute mode Prohibited, where no
  // context can be created: as on a GPU, every call that needs the calling thread's current device's
  // context (allocations, frees, streams, events, copies, graphs; cudaSetDevice to it) fails there
  // with cudaErrorDevicesUnavailable, while other devices work.
  unsigned prohibited = 0;  // bit d: device d
};

const Config& config();

// Records `error` as the calling thread's last error (when it is one) and returns it, so every
// API function can end with `return finish(...)` the way the real runtime tracks errors.
cudaError_t finish(cudaError_t error);
cudaError_t take_last_error();
cudaError_t peek_last_error();

// The checks every API call starts with: a usable driver and device, and not being called from
// inside a host function running on a stream worker (CUDA forbids API calls there).
cudaError_t check_ready();
// check_ready without the sticky error: functions that release resources (cudaFree, stream and
// event destruction) still release them after a device fault, and then report the error, so a
// faulted process does not also leak (the driver frees everything when the context goes).
cudaError_t check_ready_to_release();
bool on_stream_worker();
// check_ready and check_ready_to_release for calls that need a context on the calling thread's
// current device: CUDA creates (or binds) that device's primary context first, which a device in
// compute mode Prohibited refuses. A thread that never chose a device uses device 0's.
cudaError_t check_context();
cudaError_t check_context_to_release();
bool prohibited(int device);

// A device fault (a stand-in kernel that failed) leaves the context with a sticky error, as on a
// GPU: from then on every API call returns it, cudaGetLastError cannot clear it, work queued
// behind the fault is skipped and stream callbacks receive it. cudaSuccess until a fault.
cudaError_t sticky_error();
void raise_sticky_error(cudaError_t error);
void set_on_stream_worker(bool value);

int current_device();
void set_current_device(int device);

// Device allocations live in host memory; the registry maps each base address to its size and
// the device it was allocated on (the calling thread's current device), so pointers, ranges and
// the device that owns them are validated like the real runtime does. Each device has its own cap.
class MemoryRegistry {
 public:
  cudaError_t allocate_device(void** out, size_t size, int device);
  cudaError_t free_device(void* ptr);
  cudaError_t allocate_host(void** out, size_t size);
  cudaError_t free_host(void* ptr);

  // True when [ptr, ptr + count) lies inside one live device allocation.
  bool is_device_range(const void* ptr, size_t count) const;
  bool is_device_pointer(const void* ptr) const;
  bool is_pinned_pointer(const void* ptr) const;
  bool is_pinned_range(const void* ptr, size_t count) const;
  size_t device_bytes_in_use(int device) const;
  // The device that owns the allocation containing ptr, or -1 when ptr is not device memory.
  int device_of(const void* ptr) const;

 private:
  mutable std::mutex mutex_;
  std::map<uintptr_t, size_t> device_;  // base -> size
  std::map<uintptr_t, int> owner_;      // base -> device it was allocated on
  std::map<uintptr_t, size_t> pinned_;  // base -> size
  std::map<int, size_t> device_in_use_;
};

MemoryRegistry& memory();

}  // namespace trtn::cudasim
