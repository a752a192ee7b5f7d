// Stream: a CUDA stream exposed to JS. Copies and fills are enqueued on it and return promises
// that settle when the stream reaches them (see completion.h).
#pragma once

#include <cuda_runtime_api.h>
#include <napi.h>

#include <memory>

namespace trtn {

// Owns the CUDA stream; destroyed when the JS wrapper let go (dispose, GC or environment
// teardown) and no in-flight op holds it any more.
struct StreamCore {
  cudaStream_t handle = nullptr;
  int device = 0;  // made current before any work is enqueued on the stream
  StreamCore() = default;
  StreamCore(const StreamCore&) = delete;  // owns its handle: a copy would free it twice
  StreamCore& operator=(const StreamCore&) = delete;
  ~StreamCore();
};

class Stream : public Napi::ObjectWrap<Stream> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Returns the Stream behind `value`, or throws a TypeError if it is not one.
  static Stream* Unwrap(Napi::Value value);

  explicit Stream(const Napi::CallbackInfo& info);

  // For other native classes (TensorRT execution contexts): the live core, or ERR_DISPOSED.
  const std::shared_ptr<StreamCore>& core(Napi::Env env) const;

 private:
  Napi::Value CopyHostToDevice(const Napi::CallbackInfo& info);
  Napi::Value CopyDeviceToHost(const Napi::CallbackInfo& info);
  Napi::Value CopyDeviceToDevice(const Napi::CallbackInfo& info);
  Napi::Value Fill(const Napi::CallbackInfo& info);
  Napi::Value WaitEvent(const Napi::CallbackInfo& info);
  Napi::Value Synchronize(const Napi::CallbackInfo& info);
  Napi::Value Query(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);

  std::shared_ptr<StreamCore> core_;
};

}  // namespace trtn
