// Simulated events: a record enqueues a marker on a stream; the marker stamps the time and
// completes the event when the stream's worker reaches it.
#pragma once

#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace trtn::cudasim {

struct EventImpl {
  explicit EventImpl(unsigned f) : flags(f) {}
  const unsigned flags;
  // Guarded by progress_mutex(): every record bumps `recorded`, its marker sets `completed`.
  uint64_t recorded = 0;
  uint64_t completed = 0;
  std::chrono::steady_clock::time_point stamp{};
};

class EventTable {
 public:
  cudaError_t create(cudaEvent_t* out, unsigned flags);
  cudaError_t destroy(cudaEvent_t handle);
  std::shared_ptr<EventImpl> resolve(cudaEvent_t handle);

 private:
  std::mutex mutex_;
  std::vector<std::pair<cudaEvent_t, std::shared_ptr<EventImpl>>> live_;
};

EventTable& events();

}  // namespace trtn::cudasim
