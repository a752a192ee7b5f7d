// Stream, event and host-function entry points.
#include <cuda_runtime_api.h>

#include <chrono>

#include "event.h"
#include "sim_state.h"
#include "stream.h"

using namespace trtn::cudasim;

cudaError_t CUDARTAPI cudaStreamCreateWithFlags(cudaStream_t* pStream, unsigned int flags) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  return finish(streams().create(pStream, flags));
}

cudaError_t CUDARTAPI cudaStreamGetDevice(cudaStream_t hStream, int* device) {
  if (device == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto impl = streams().resolve(hStream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  *device = impl->device >= 0 ? impl->device : current_device();
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaStreamCreate(cudaStream_t* pStream) { return cudaStreamCreateWithFlags(pStream, cudaStreamDefault); }

cudaError_t CUDARTAPI cudaStreamDestroy(cudaStream_t stream) {
  if (cudaError_t e = check_context_to_release(); e != cudaSuccess) return finish(e);
  cudaError_t destroyed = streams().destroy(stream);
  return finish(destroyed != cudaSuccess ? destroyed : sticky_error());
}

cudaError_t CUDARTAPI cudaStreamSynchronize(cudaStream_t stream) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  if (streams().capturing(impl)) {
    streams().invalidate_capture(impl);
    return finish(cudaErrorStreamCaptureUnsupported);
  }
  wait_for(*impl, impl->enqueued());
  return finish(sticky_error());  // a fault in the work waited for is reported here
}

cudaError_t CUDARTAPI cudaStreamQuery(cudaStream_t stream) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  if (streams().capturing(impl)) {
    streams().invalidate_capture(impl);
    return finish(cudaErrorStreamCaptureUnsupported);
  }
  // cudaErrorNotReady is a status, not an error: the real runtime does not record it as the last error.
  return impl->idle() ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t CUDARTAPI cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void* userData) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  if (fn == nullptr) return finish(cudaErrorInvalidValue);
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  // After a device fault host functions are not called (CUDA's documented difference from
  // cudaStreamAddCallback, whose callbacks always run and receive the error).
  streams().submit(impl, [fn, userData] {
    if (sticky_error() == cudaSuccess) fn(userData);
  });
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaStreamAddCallback(cudaStream_t stream, cudaStreamCallback_t callback, void* userData, unsigned int flags) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  if (callback == nullptr || flags != 0) return finish(cudaErrorInvalidValue);
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  if (streams().capturing(impl)) {  // CUDA documents callbacks as not capturable
    streams().invalidate_capture(impl);
    return finish(cudaErrorStreamCaptureUnsupported);
  }
  streams().submit(impl, [stream, callback, userData] { callback(stream, sticky_error(), userData); });
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  if (flags != cudaEventWaitDefault && flags != cudaEventWaitExternal) return finish(cudaErrorInvalidValue);
  auto impl = streams().resolve(stream);
  auto ev = events().resolve(event);
  if (!impl || !ev) return finish(cudaErrorInvalidResourceHandle);
  uint64_t target;
  {
    std::lock_guard<std::mutex> lock(progress_mutex());
    target = ev->recorded;  // waits for the most recent record only, as CUDA does
  }
  streams().submit(impl, [ev, target] {
    std::unique_lock<std::mutex> lock(progress_mutex());
    progress_changed().wait(lock, [&] { return ev->completed >= target; });
  });
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  return finish(events().create(event, flags));
}

cudaError_t CUDARTAPI cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }

cudaError_t CUDARTAPI cudaEventDestroy(cudaEvent_t event) {
  if (cudaError_t e = check_context_to_release(); e != cudaSuccess) return finish(e);
  cudaError_t destroyed = events().destroy(event);
  return finish(destroyed != cudaSuccess ? destroyed : sticky_error());
}

cudaError_t CUDARTAPI cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto ev = events().resolve(event);
  auto impl = streams().resolve(stream);
  if (!ev || !impl) return finish(cudaErrorInvalidResourceHandle);
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(progress_mutex());
    generation = ++ev->recorded;
  }
  streams().submit(impl, [ev, generation] {
    {
      std::lock_guard<std::mutex> lock(progress_mutex());
      if (generation > ev->completed) ev->completed = generation;
      ev->stamp = std::chrono::steady_clock::now();
    }
    progress_changed().notify_all();
  });
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaEventQuery(cudaEvent_t event) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto ev = events().resolve(event);
  if (!ev) return finish(cudaErrorInvalidResourceHandle);
  std::lock_guard<std::mutex> lock(progress_mutex());
  return ev->completed >= ev->recorded ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t CUDARTAPI cudaEventSynchronize(cudaEvent_t event) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto ev = events().resolve(event);
  if (!ev) return finish(cudaErrorInvalidResourceHandle);
  std::unique_lock<std::mutex> lock(progress_mutex());
  uint64_t target = ev->recorded;
  progress_changed().wait(lock, [&] { return ev->completed >= target; });
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  if (ms == nullptr) return finish(cudaErrorInvalidValue);
  auto a = events().resolve(start);
  auto b = events().resolve(end);
  if (!a || !b) return finish(cudaErrorInvalidResourceHandle);
  if (((a->flags | b->flags) & cudaEventDisableTiming) != 0) return finish(cudaErrorInvalidResourceHandle);
  std::lock_guard<std::mutex> lock(progress_mutex());
  if (a->recorded == 0 || b->recorded == 0) return finish(cudaErrorInvalidResourceHandle);
  if (a->completed < a->recorded || b->completed < b->recorded) return finish(cudaErrorNotReady);
  *ms = std::chrono::duration<float, std::milli>(b->stamp - a->stamp).count();
  return cudaSuccess;
}
