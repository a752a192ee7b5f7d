// Event: a CUDA event, recorded on a stream to mark a point in its work and to time it.
#pragma once

#include <cuda_runtime_api.h>
#include <napi.h>

#include <memory>

namespace trtn {

struct EventCore {
  cudaEvent_t handle = nullptr;
  EventCore() = default;
  EventCore(const EventCore&) = delete;  // owns its handle: a copy would free it twice
  EventCore& operator=(const EventCore&) = delete;
  ~EventCore();
};

class Event : public Napi::ObjectWrap<Event> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Event* Unwrap(Napi::Value value);

  explicit Event(const Napi::CallbackInfo& info);

  const std::shared_ptr<EventCore>& core(Napi::Env env) const;

 private:
  Napi::Value Record(const Napi::CallbackInfo& info);
  Napi::Value Query(const Napi::CallbackInfo& info);
  Napi::Value ElapsedTime(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);

  std::shared_ptr<EventCore> core_;
};

}  // namespace trtn
