#include "stream.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "sim_state.h"

// The opaque type behind cudaStream_t; the simulator only needs distinct addresses.
struct CUstream_st {
  int unused;
};

namespace trtn::cudasim {

std::mutex& progress_mutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}

std::condition_variable& progress_changed() {
  static std::condition_variable* cv = new std::condition_variable();
  return *cv;
}

void wait_for(const StreamImpl& stream, uint64_t sequence) {
  std::unique_lock<std::mutex> lock(progress_mutex());
  progress_changed().wait(lock, [&] { return stream.completed >= sequence; });
}

StreamImpl::StreamImpl(unsigned flags, bool legacy) : flags_(flags), legacy_(legacy) {}

uint64_t StreamImpl::enqueued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return enqueued_;
}

bool StreamImpl::idle() const {
  uint64_t target = enqueued();
  std::lock_guard<std::mutex> lock(progress_mutex());
  return completed >= target;
}

void StreamImpl::push(std::function<void()> op) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(op));
    ++enqueued_;
  }
  work_ready_.notify_one();
}

void StreamImpl::retire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    retired_ = true;
  }
  work_ready_.notify_one();
}

void StreamImpl::run(std::shared_ptr<StreamImpl> self) {
  set_on_stream_worker(true);
  for (;;) {
    std::function<void()> op;
    {
      std::unique_lock<std::mutex> lock(self->mutex_);
      self->work_ready_.wait(lock, [&] { return !self->queue_.empty() || self->retired_; });
      if (self->queue_.empty()) return;  // retired and drained
      op = std::move(self->queue_.front());
      self->queue_.pop_front();
    }
    op();
    op = nullptr;  // release what the operation captured before announcing completion
    {
      std::lock_guard<std::mutex> lock(progress_mutex());
      ++self->completed;
    }
    progress_changed().notify_all();
  }
}

std::shared_ptr<StreamImpl> StreamTable::legacy_stream() {
  if (!legacy_) {
    legacy_ = std::make_shared<StreamImpl>(cudaStreamDefault, true);
    std::thread(StreamImpl::run, legacy_).detach();
  }
  return legacy_;
}

cudaError_t StreamTable::create(cudaStream_t* out, unsigned flags) {
  if (out == nullptr || (flags & ~cudaStreamNonBlocking) != 0) return cudaErrorInvalidValue;
  auto impl = std::make_shared<StreamImpl>(flags, false);
  impl->device = current_device();
  auto* handle = new CUstream_st{0};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    live_.emplace_back(handle, impl);
  }
  // Detached: the worker owns a reference and exits by itself once the stream is destroyed and
  // drained, so destroying a busy stream returns at once, as in CUDA.
  std::thread(StreamImpl::run, impl).detach();
  *out = handle;
  return cudaSuccess;
}

cudaError_t StreamTable::destroy(cudaStream_t handle) {
  if (handle == nullptr || handle == cudaStreamLegacy || handle == cudaStreamPerThread) {
    return cudaErrorInvalidResourceHandle;
  }
  std::shared_ptr<StreamImpl> impl;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find_if(live_.begin(), live_.end(), [&](const auto& entry) { return entry.first == handle; });
    if (it == live_.end()) return cudaErrorInvalidResourceHandle;
    impl = it->second;
    live_.erase(it);
    retired_.erase(std::remove_if(retired_.begin(), retired_.end(), [](const auto& s) { return s->idle(); }), retired_.end());
    retired_.push_back(impl);
  }
  delete handle;
  impl->retire();
  return cudaSuccess;
}

std::shared_ptr<StreamImpl> StreamTable::resolve(cudaStream_t handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (handle == nullptr || handle == cudaStreamLegacy || handle == cudaStreamPerThread) return legacy_stream();
  for (const auto& entry : live_) {
    if (entry.first == handle) return entry.second;
  }
  return nullptr;
}

void StreamTable::submit(const std::shared_ptr<StreamImpl>& stream, std::function<void()> op) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stream->capturing) {
    stream->captured.push_back(std::move(op));
    return;
  }
  // Implicit synchronization of the legacy stream: work on it waits for earlier work on every
  // blocking stream, and work on a blocking stream waits for earlier work on it.
  std::vector<std::pair<std::shared_ptr<StreamImpl>, uint64_t>> waits;
  if (stream->legacy()) {
    for (const auto& entry : live_) {
      if (entry.second->blocking()) waits.emplace_back(entry.second, entry.second->enqueued());
    }
    for (const auto& retired : retired_) {
      if (retired->blocking()) waits.emplace_back(retired, retired->enqueued());
    }
  } else if (stream->blocking()) {
    auto legacy = legacy_stream();
    waits.emplace_back(legacy, legacy->enqueued());
  }
  if (waits.empty()) {
    stream->push(std::move(op));
    return;
  }
  stream->push([waits = std::move(waits), op = std::move(op)]() {
    for (const auto& [other, sequence] : waits) wait_for(*other, sequence);
    op();
  });
}

cudaError_t StreamTable::begin_capture(const std::shared_ptr<StreamImpl>& stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stream->legacy()) return cudaErrorStreamCaptureUnsupported;
  if (stream->capturing) return cudaErrorIllegalState;
  stream->capturing = true;
  stream->capture_invalidated = false;
  stream->captured.clear();
  return cudaSuccess;
}

cudaError_t StreamTable::end_capture(const std::shared_ptr<StreamImpl>& stream, std::vector<std::function<void()>>& recorded) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!stream->capturing) return cudaErrorIllegalState;
  stream->capturing = false;
  recorded = std::move(stream->captured);
  stream->captured.clear();
  if (stream->capture_invalidated) {
    recorded.clear();
    return cudaErrorStreamCaptureInvalidated;
  }
  return cudaSuccess;
}

bool StreamTable::capturing(const std::shared_ptr<StreamImpl>& stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  return stream->capturing;
}

void StreamTable::invalidate_capture(const std::shared_ptr<StreamImpl>& stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stream->capturing) stream->capture_invalidated = true;
}

void StreamTable::synchronize_all() {
  std::vector<std::pair<std::shared_ptr<StreamImpl>, uint64_t>> targets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (legacy_) targets.emplace_back(legacy_, legacy_->enqueued());
    for (const auto& entry : live_) targets.emplace_back(entry.second, entry.second->enqueued());
    for (const auto& retired : retired_) targets.emplace_back(retired, retired->enqueued());
  }
  for (const auto& [stream, sequence] : targets) wait_for(*stream, sequence);
}

StreamTable& streams() {
  static StreamTable* table = new StreamTable();  // never destroyed: workers outlive exit
  return *table;
}

}  // namespace trtn::cudasim
