// Simulated streams: each stream owns one worker thread that runs its operations strictly in
// the order they were enqueued, like a GPU stream. The legacy default stream synchronizes with
// every blocking stream, as CUDA's NULL stream does.
#pragma once

#include <cuda_runtime_api.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace trtn::cudasim {

class StreamImpl {
 public:
  StreamImpl(unsigned flags, bool legacy);

  bool blocking() const { return (flags_ & cudaStreamNonBlocking) == 0; }
  bool legacy() const { return legacy_; }
  unsigned flags() const { return flags_; }

  // Number of operations enqueued so far; an operation's sequence number is the value of
  // enqueued() right after it was pushed.
  uint64_t enqueued() const;
  bool idle() const;

  // Lets the worker finish what is queued and then exit; the object lives on (shared) while
  // operations still run.
  void retire();

 private:
  friend class StreamTable;
  void push(std::function<void()> op);
  static void run(std::shared_ptr<StreamImpl> self);

  const unsigned flags_;
  const bool legacy_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<std::function<void()>> queue_;
  uint64_t enqueued_ = 0;
  bool retired_ = false;

 public:
  // Stream capture state, guarded by the StreamTable's mutex.
  bool capturing = false;
  bool capture_invalidated = false;
  std::vector<std::function<void()>> captured;

  // The device that was current when the stream was created; -1 for the legacy stream, which
  // belongs to whichever device the calling thread has current.
  int device = -1;

  // Written by the worker under progress_mutex() after each operation.
  uint64_t completed = 0;
};

// One mutex/condition pair announces the completion of any operation on any stream; waits for
// streams and events use it. A simulator favours simplicity over throughput here.
std::mutex& progress_mutex();
std::condition_variable& progress_changed();

// Blocks the caller until `stream` has completed `sequence` operations.
void wait_for(const StreamImpl& stream, uint64_t sequence);

class StreamTable {
 public:
  cudaError_t create(cudaStream_t* out, unsigned flags);
  cudaError_t destroy(cudaStream_t handle);

  // Resolves a handle (0, cudaStreamLegacy and cudaStreamPerThread mean the legacy stream).
  std::shared_ptr<StreamImpl> resolve(cudaStream_t handle);

  // Enqueues `op` on `stream`, adding the implicit waits of the legacy default stream; on a
  // capturing stream the op is recorded into the capture instead.
  void submit(const std::shared_ptr<StreamImpl>& stream, std::function<void()> op);

  // Stream capture (cudaStreamBeginCapture ... cudaStreamEndCapture): work submitted to the stream
  // in between is recorded, not run. Capture on the legacy stream is refused, as in CUDA.
  cudaError_t begin_capture(const std::shared_ptr<StreamImpl>& stream);
  cudaError_t end_capture(const std::shared_ptr<StreamImpl>& stream, std::vector<std::function<void()>>& recorded);
  bool capturing(const std::shared_ptr<StreamImpl>& stream);
  // An operation that is not allowed while capturing: the capture is invalidated, as in CUDA.
  void invalidate_capture(const std::shared_ptr<StreamImpl>& stream);

  // Waits for everything enqueued so far on every stream (cudaDeviceSynchronize).
  void synchronize_all();

 private:
  std::shared_ptr<StreamImpl> legacy_stream();

  std::mutex mutex_;  // guards the tables and makes "capture dependencies + push" atomic
  std::shared_ptr<StreamImpl> legacy_;
  std::deque<std::pair<cudaStream_t, std::shared_ptr<StreamImpl>>> live_;
  std::deque<std::shared_ptr<StreamImpl>> retired_;  // destroyed, possibly still draining
};

StreamTable& streams();

}  // namespace trtn::cudasim
