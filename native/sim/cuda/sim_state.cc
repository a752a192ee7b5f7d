#include "sim_state.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>

namespace trtn::cudasim {
namespace {

// Uninitialised device memory is filled with this byte so code that assumes zeroed memory
// fails in the simulator as it would on a GPU, where fresh allocations hold garbage.
constexpr unsigned char kGarbageByte = 0xA5;
constexpr size_t kDeviceAlignment = 256;  // cudaMalloc's documented minimum alignment

thread_local cudaError_t t_last_error = cudaSuccess;
std::atomic<int> g_sticky_error{cudaSuccess};
thread_local bool t_on_stream_worker = false;
thread_local int t_current_device = 0;

long long env_number(const char* name, long long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  long long value = std::strtoll(text, &end, 10);
  return (end != nullptr && *end == '\0' && value >= 0) ? value : fallback;
}

Config read_config() {
  Config c;
  c.device_count = static_cast<int>(env_number("TENSORRT_NODE_SIM_DEVICES", c.device_count));
  c.device_memory = static_cast<size_t>(env_number("TENSORRT_NODE_SIM_DEVICE_MEMORY", static_cast<long long>(c.device_memory)));
  c.driver_version = static_cast<int>(env_number("TENSORRT_NODE_SIM_DRIVER_VERSION", c.driver_version));
  if (const char* list = std::getenv("TENSORRT_NODE_SIM_PROHIBITED_DEVICES")) {
    for (const char* p = list; *p != '\0';) {
      char* end = nullptr;
      long device = std::strtol(p, &end, 10);
      if (end == p) break;
      if (device >= 0 && device < 32) c.prohibited |= 1U << device;
      p = *end == ',' ? end + 1 : end;
    }
  }
  return c;
}

size_t round_up(size_t value, size_t to) { return (value + to - 1) / to * to; }

bool range_inside(const std::map<uintptr_t, size_t>& blocks, uintptr_t begin, size_t count) {
  auto it = blocks.upper_bound(begin);
  if (it == blocks.begin()) return false;
  --it;
  uintptr_t base = it->first;
  size_t size = it->second;
  return begin >= base && begin - base < size && count <= size - (begin - base);
}

}  // namespace

const Config& config() {
  static const Config c = read_config();
  return c;
}

cudaError_t finish(cudaError_t error) {
  if (error != cudaSuccess) t_last_error = error;
  return error;
}

cudaError_t take_last_error() {
  if (cudaError_t sticky = sticky_error(); sticky != cudaSuccess) return sticky;  // cannot be cleared
  cudaError_t e = t_last_error;
  t_last_error = cudaSuccess;
  return e;
}

cudaError_t peek_last_error() {
  cudaError_t sticky = sticky_error();
  return sticky != cudaSuccess ? sticky : t_last_error;
}

cudaError_t sticky_error() { return static_cast<cudaError_t>(g_sticky_error.load()); }

void raise_sticky_error(cudaError_t error) {
  int expected = cudaSuccess;
  g_sticky_error.compare_exchange_strong(expected, error);  // the first fault is the one reported
}

cudaError_t check_ready_to_release() {
  if (t_on_stream_worker) return cudaErrorNotPermitted;
  if (config().driver_version == 0) return cudaErrorInsufficientDriver;
  if (config().device_count == 0) return cudaErrorNoDevice;
  return cudaSuccess;
}

cudaError_t check_ready() {
  if (cudaError_t e = check_ready_to_release(); e != cudaSuccess) return e;
  return sticky_error();
}

bool prohibited(int device) { return device >= 0 && device < 32 && (config().prohibited & (1U << device)) != 0; }

cudaError_t check_context() {
  if (cudaError_t e = check_ready(); e != cudaSuccess) return e;
  return prohibited(t_current_device) ? cudaErrorDevicesUnavailable : cudaSuccess;
}

cudaError_t check_context_to_release() {
  if (cudaError_t e = check_ready_to_release(); e != cudaSuccess) return e;
  return prohibited(t_current_device) ? cudaErrorDevicesUnavailable : cudaSuccess;
}

bool on_stream_worker() { return t_on_stream_worker; }
void set_on_stream_worker(bool value) { t_on_stream_worker = value; }
int current_device() { return t_current_device; }
void set_current_device(int device) { t_current_device = device; }

cudaError_t MemoryRegistry::allocate_device(void** out, size_t size, int device) {
  if (out == nullptr) return cudaErrorInvalidValue;
  if (size == 0) {
    *out = nullptr;  // the real runtime succeeds and hands back a null pointer
    return cudaSuccess;
  }
  size_t padded = round_up(size, kDeviceAlignment);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t& in_use = device_in_use_[device];
    if (padded > config().device_memory || in_use > config().device_memory - padded) {
      return cudaErrorMemoryAllocation;
    }
    in_use += padded;  // reserve before allocating so concurrent callers respect the cap
  }
  // Exactly cudaMalloc's documented alignment and no more: every pointer is an odd multiple of
  // 256, so code that needs more (an output allocator asked for 512) fails here, not on a GPU.
  auto* base = static_cast<uint8_t*>(std::aligned_alloc(2 * kDeviceAlignment, round_up(padded + kDeviceAlignment, 2 * kDeviceAlignment)));
  std::lock_guard<std::mutex> lock(mutex_);
  if (base == nullptr) {
    device_in_use_[device] -= padded;
    return cudaErrorMemoryAllocation;
  }
  uint8_t* block = base + kDeviceAlignment;
  std::memset(block, kGarbageByte, padded);
  device_[reinterpret_cast<uintptr_t>(block)] = padded;
  owner_[reinterpret_cast<uintptr_t>(block)] = device;
  *out = block;
  return cudaSuccess;
}

cudaError_t MemoryRegistry::free_device(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = device_.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == device_.end()) return cudaErrorInvalidValue;
  auto owner = owner_.find(it->first);
  device_in_use_[owner->second] -= it->second;
  owner_.erase(owner);
  device_.erase(it);
  std::free(static_cast<uint8_t*>(ptr) - kDeviceAlignment);
  return cudaSuccess;
}

cudaError_t MemoryRegistry::allocate_host(void** out, size_t size) {
  if (out == nullptr) return cudaErrorInvalidValue;
  if (size == 0) {
    *out = nullptr;
    return cudaSuccess;
  }
  void* block = std::aligned_alloc(4096, round_up(size, 4096));  // pinned memory is page aligned
  if (block == nullptr) return cudaErrorMemoryAllocation;
  std::lock_guard<std::mutex> lock(mutex_);
  pinned_[reinterpret_cast<uintptr_t>(block)] = size;
  *out = block;
  return cudaSuccess;
}

cudaError_t MemoryRegistry::free_host(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pinned_.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == pinned_.end()) return cudaErrorInvalidValue;
  pinned_.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

bool MemoryRegistry::is_device_range(const void* ptr, size_t count) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return range_inside(device_, reinterpret_cast<uintptr_t>(ptr), count);
}

bool MemoryRegistry::is_device_pointer(const void* ptr) const { return is_device_range(ptr, 0); }

bool MemoryRegistry::is_pinned_pointer(const void* ptr) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return range_inside(pinned_, reinterpret_cast<uintptr_t>(ptr), 0);
}

bool MemoryRegistry::is_pinned_range(const void* ptr, size_t count) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return range_inside(pinned_, reinterpret_cast<uintptr_t>(ptr), count);
}

size_t MemoryRegistry::device_bytes_in_use(int device) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = device_in_use_.find(device);
  return it == device_in_use_.end() ? 0 : it->second;
}

int MemoryRegistry::device_of(const void* ptr) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto begin = reinterpret_cast<uintptr_t>(ptr);
  if (!range_inside(device_, begin, 0)) return -1;
  return std::prev(owner_.upper_bound(begin))->second;
}

MemoryRegistry& memory() {
  // Never destroyed: stream workers may still touch it while the process exits.
  static MemoryRegistry* registry = new MemoryRegistry();
  return *registry;
}

}  // namespace trtn::cudasim
