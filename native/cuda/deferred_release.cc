#include "cuda/deferred_release.h"

#include <cuda_runtime_api.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "cuda/current_device.h"

namespace trtn {
namespace {

class ReleaseThread {
 public:
  void Push(std::function<void()> release) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!started_) {
        // Detached and never stopped: frees still queued at process exit do not matter, and
        // joining at exit could wait on a device that never idles.
        std::thread([this] { Run(); }).detach();
        started_ = true;
      }
      queue_.push_back(std::move(release));
      ++pending_;
    }
    ready_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> release;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty(); });
        release = std::move(queue_.front());
        queue_.pop_front();
      }
      release();
      release = nullptr;   // what the release captured goes now, still on this thread
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
  std::deque<std::function<void()>> queue_;
  bool started_ = false;
  size_t pending_ = 0;
};

ReleaseThread& Releaser() {
  static ReleaseThread* releaser = new ReleaseThread();  // outlives every environment
  return *releaser;
}

int DeviceOrCurrent(int device) {
  if (device >= 0) return device;
  int current = 0;
  if (cudaGetDevice(&current) != cudaSuccess) cudaGetLastError();
  return current;
}

}  // namespace

void FreeDeviceMemoryLater(void* ptr, int device) {
  if (ptr == nullptr) return;
  device = DeviceOrCurrent(device);
  Releaser().Push([ptr, device] {
    UseDevice(device);
    cudaFree(ptr);
  });
}

void ReleaseLater(std::function<void()> release, int device) {
  device = DeviceOrCurrent(device);
  Releaser().Push([release = std::move(release), device]() mutable {
    UseDevice(device);
    release();
    release = nullptr;  // what the release captured goes now, with the device still current
  });
}

void FreePinnedMemoryLater(void* ptr) {
  if (ptr != nullptr) Releaser().Push([ptr] { cudaFreeHost(ptr); });
}

size_t PendingReleases() { return Releaser().Pending(); }

}  // namespace trtn
