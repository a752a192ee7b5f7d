#include "event.h"

#include <algorithm>

struct CUevent_st {
  int unused;
};

namespace trtn::cudasim {

cudaError_t EventTable::create(cudaEvent_t* out, unsigned flags) {
  constexpr unsigned kKnown = cudaEventBlockingSync | cudaEventDisableTiming | cudaEventInterprocess;
  if (out == nullptr || (flags & ~kKnown) != 0) return cudaErrorInvalidValue;
  // Interprocess events must also disable timing, as in CUDA.
  if ((flags & cudaEventInterprocess) != 0 && (flags & cudaEventDisableTiming) == 0) return cudaErrorInvalidValue;
  auto* handle = new CUevent_st{0};
  std::lock_guard<std::mutex> lock(mutex_);
  live_.emplace_back(handle, std::make_shared<EventImpl>(flags));
  *out = handle;
  return cudaSuccess;
}

cudaError_t EventTable::destroy(cudaEvent_t handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(live_.begin(), live_.end(), [&](const auto& entry) { return entry.first == handle; });
  if (handle == nullptr || it == live_.end()) return cudaErrorInvalidResourceHandle;
  // Pending markers hold their own reference, so destroying a recorded event is safe.
  live_.erase(it);
  delete handle;
  return cudaSuccess;
}

std::shared_ptr<EventImpl> EventTable::resolve(cudaEvent_t handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& entry : live_) {
    if (entry.first == handle) return entry.second;
  }
  return nullptr;
}

EventTable& events() {
  static EventTable* table = new EventTable();
  return *table;
}

}  // namespace trtn::cudasim
