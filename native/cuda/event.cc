#include "cuda/event.h"

#include "addon_state.h"
#include "cuda/stream.h"
#include "errors.h"
#include "type_tags.h"

namespace trtn {

EventCore::~EventCore() {
  if (handle != nullptr) cudaEventDestroy(handle);
}

void Event::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Event",
                                    {
                                        InstanceMethod<&Event::Record>("record"),
                                        InstanceMethod<&Event::Query>("query"),
                                        InstanceMethod<&Event::ElapsedTime>("elapsedTime"),
                                        InstanceMethod<&Event::Dispose>("dispose"),
                                        InstanceAccessor<&Event::IsDisposed>("disposed"),
                                    });
  AddonState::Get(env)->event_class = Napi::Persistent(ctor);
  exports.Set("Event", ctor);
}

Event* Event::Unwrap(Napi::Value value) { return UnwrapTagged<Event>(value, type_tags::kEvent, "Event"); }

// new Event(timing: boolean)
Event::Event(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Event>(info) {
  bool timing = info[0].ToBoolean();
  auto core = std::make_shared<EventCore>();
  CheckCuda(info.Env(), cudaEventCreateWithFlags(&core->handle, timing ? cudaEventDefault : cudaEventDisableTiming),
            "cudaEventCreateWithFlags");
  core_ = std::move(core);
  Tag(info.This().As<Napi::Object>(), type_tags::kEvent);
}

const std::shared_ptr<EventCore>& Event::core(Napi::Env env) const {
  if (!core_) throw DisposedError(env, "Event");
  return core_;
}

// record(stream): marks the point in the stream's work reached so far.
Napi::Value Event::Record(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& event = core(env);
  const auto& stream = Stream::Unwrap(info[0])->core(env);
  CheckCuda(env, cudaEventRecord(event->handle, stream->handle), "cudaEventRecord");
  return env.Undefined();
}

// query(): true when the work before the last record has completed (or it was never recorded).
Napi::Value Event::Query(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cudaError_t status = cudaEventQuery(core(env)->handle);
  if (status == cudaErrorNotReady) {
    cudaGetLastError();  // "not ready" is an answer, not an error to leave behind
    return Napi::Boolean::New(env, false);
  }
  CheckCuda(env, status, "cudaEventQuery");
  return Napi::Boolean::New(env, true);
}

// elapsedTime(end): milliseconds between this event and `end`, both recorded and completed.
Napi::Value Event::ElapsedTime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& end = Event::Unwrap(info[0])->core(env);
  float ms = 0;
  CheckCuda(env, cudaEventElapsedTime(&ms, core(env)->handle, end->handle), "cudaEventElapsedTime");
  return Napi::Number::New(env, ms);
}

Napi::Value Event::Dispose(const Napi::CallbackInfo& info) {
  core_.reset();
  return info.Env().Undefined();
}

Napi::Value Event::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !core_); }

}  // namespace trtn
