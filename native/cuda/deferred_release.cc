#include "cuda/deferred_release.h"

#include <cuda_runtime_api.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace trtn {
namespace {

class ReleaseThread {
 public:
  void Push(void* ptr, bool pinned) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!started_) {
        // Detached and never stopped: frees still queued at process exit do not matter, and
        // joining at exit could wait on a device that never idles.
        std::thread([this] { Run(); }).detach();
        started_ = true;
      }
      queue_.emplace_back(ptr, pinned);
      ++pending_;
    }
    ready_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::pair<void*, bool> item;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty(); });
        item = queue_.front();
        queue_.pop_front();
      }
      if (item.second) {
        cudaFreeHost(item.first);
      } else {
        cudaFree(item.first);
      }
      cudaGetLastError();  // errors here have no caller to report to; keep the thread's state clean
      std::lock_guard<std::mutex> lock(mutex_);
      --pending_;
    }
  }

 public:
  size_t Pending() {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::pair<void*, bool>> queue_;
  bool started_ = false;
  size_t pending_ = 0;
};

ReleaseThread& Releaser() {
  static ReleaseThread* releaser = new ReleaseThread();  // outlives every environment
  return *releaser;
}

}  // namespace

void FreeDeviceMemoryLater(void* ptr) {
  if (ptr != nullptr) Releaser().Push(ptr, false);
}

void FreePinnedMemoryLater(void* ptr) {
  if (ptr != nullptr) Releaser().Push(ptr, true);
}

size_t PendingReleases() { return Releaser().Pending(); }

}  // namespace trtn
