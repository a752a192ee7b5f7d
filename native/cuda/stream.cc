#include "cuda/stream.h"

#include <string>

#include "addon_state.h"
#include "cuda/completion.h"
#include "cuda/current_device.h"
#include "cuda/device_buffer.h"
#include "cuda/event.h"
#include "cuda/host_staging.h"
#include "cuda/pinned_buffer.h"
#include "errors.h"
#include "type_tags.h"

namespace trtn {
namespace {

struct HostView {
  void* data;
  size_t bytes;
};

// Works for views over ArrayBuffers and SharedArrayBuffers alike (napi_get_typedarray_info
// reports the data pointer with the view's offset already applied).
HostView ViewOf(Napi::Value value) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  NAPI_THROW_IF_FAILED(value.Env(), napi_get_typedarray_info(value.Env(), value, &type, &length, &data, nullptr, nullptr), HostView{});
  return {data, value.As<Napi::TypedArray>().ByteLength()};
}

size_t SizeArg(const Napi::CallbackInfo& info, size_t index) { return static_cast<size_t>(info[index].As<Napi::Number>().Int64Value()); }

}  // namespace

StreamCore::~StreamCore() {
  if (handle == nullptr) return;
  UseDevice(device);
  cudaStreamDestroy(handle);
}

void Stream::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Stream",
                                    {
                                        InstanceMethod<&Stream::CopyHostToDevice>("copyHostToDevice"),
                                        InstanceMethod<&Stream::CopyDeviceToHost>("copyDeviceToHost"),
                                        InstanceMethod<&Stream::CopyDeviceToDevice>("copyDeviceToDevice"),
                                        InstanceMethod<&Stream::Fill>("fill"),
                                        InstanceMethod<&Stream::WaitEvent>("waitEvent"),
                                        InstanceMethod<&Stream::Synchronize>("synchronize"),
                                        InstanceMethod<&Stream::Query>("query"),
                                        InstanceMethod<&Stream::Dispose>("dispose"),
                                        InstanceAccessor<&Stream::IsDisposed>("disposed"),
                                    });
  AddonState::Get(env)->stream_class = Napi::Persistent(ctor);
  exports.Set("Stream", ctor);
}

Stream* Stream::Unwrap(Napi::Value value) { return UnwrapTagged<Stream>(value, type_tags::kStream, "Stream"); }

Stream::Stream(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Stream>(info) {
  auto core = std::make_shared<StreamCore>();
  core->device = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  UseDeviceOrThrow(info.Env(), core->device);
  // Non-blocking: our streams never serialize with the legacy default stream other code may use.
  CheckCuda(info.Env(), cudaStreamCreateWithFlags(&core->handle, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  core_ = std::move(core);
  Tag(info.This().As<Napi::Object>(), type_tags::kStream);
}

const std::shared_ptr<StreamCore>& Stream::core(Napi::Env env) const {
  if (!core_) throw DisposedError(env, "Stream");
  // Every method enqueues on or waits for the stream: its device must be the current one.
  UseDeviceOrThrow(env, core_->device);
  return core_;
}

// copyHostToDevice(dst: DeviceBuffer, dstOffset: number, src: TypedArray): Promise<void>
Napi::Value Stream::CopyHostToDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& stream = core(env);
  const auto& device = DeviceBuffer::Unwrap(info[0])->memory(env);
  size_t offset = SizeArg(info, 1);
  HostView view = ViewOf(info[2]);
  void* dst = static_cast<uint8_t*>(device->ptr) + offset;
  auto op = std::make_unique<PendingOp>(env);
  const void* src = StageUpload(env, *op, info[2], view.data, view.bytes);
  CheckCuda(env, cudaMemcpyAsync(dst, src, view.bytes, cudaMemcpyHostToDevice, stream->handle),
            "cudaMemcpyAsync(host to device, " + std::to_string(view.bytes) + " bytes)");
  op->Hold(device);
  op->Hold(stream);
  return AddonState::Get(env)->completions->Launch(env, std::move(op), stream->handle);
}

// copyDeviceToHost(dst: TypedArray, src: DeviceBuffer, srcOffset: number): Promise<void>
Napi::Value Stream::CopyDeviceToHost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& stream = core(env);
  HostView view = ViewOf(info[0]);
  const auto& device = DeviceBuffer::Unwrap(info[1])->memory(env);
  size_t offset = SizeArg(info, 2);
  const void* src = static_cast<const uint8_t*>(device->ptr) + offset;
  auto op = std::make_unique<PendingOp>(env);
  void* dst = StageDownload(env, *op, info[0], view.data, view.bytes);
  CheckCuda(env, cudaMemcpyAsync(dst, src, view.bytes, cudaMemcpyDeviceToHost, stream->handle),
            "cudaMemcpyAsync(device to host, " + std::to_string(view.bytes) + " bytes)");
  op->Hold(device);
  op->Hold(stream);
  return AddonState::Get(env)->completions->Launch(env, std::move(op), stream->handle);
}

// copyDeviceToDevice(dst, dstOffset, src, srcOffset, byteLength): Promise<void>
Napi::Value Stream::CopyDeviceToDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& stream = core(env);
  const auto& dst = DeviceBuffer::Unwrap(info[0])->memory(env);
  size_t dst_offset = SizeArg(info, 1);
  const auto& src = DeviceBuffer::Unwrap(info[2])->memory(env);
  size_t src_offset = SizeArg(info, 3);
  size_t bytes = SizeArg(info, 4);
  CheckCuda(env,
            cudaMemcpyAsync(static_cast<uint8_t*>(dst->ptr) + dst_offset, static_cast<const uint8_t*>(src->ptr) + src_offset, bytes,
                            cudaMemcpyDeviceToDevice, stream->handle),
            "cudaMemcpyAsync(device to device, " + std::to_string(bytes) + " bytes)");
  auto op = std::make_unique<PendingOp>(env);
  op->Hold(dst);
  op->Hold(src);
  op->Hold(stream);
  return AddonState::Get(env)->completions->Launch(env, std::move(op), stream->handle);
}

// fill(dst: DeviceBuffer, offset, byteLength, byteValue): Promise<void>
Napi::Value Stream::Fill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& stream = core(env);
  const auto& device = DeviceBuffer::Unwrap(info[0])->memory(env);
  size_t offset = SizeArg(info, 1);
  size_t bytes = SizeArg(info, 2);
  int value = info[3].As<Napi::Number>().Int32Value();
  CheckCuda(env, cudaMemsetAsync(static_cast<uint8_t*>(device->ptr) + offset, value, bytes, stream->handle),
            "cudaMemsetAsync(" + std::to_string(bytes) + " bytes)");
  auto op = std::make_unique<PendingOp>(env);
  op->Hold(device);
  op->Hold(stream);
  return AddonState::Get(env)->completions->Launch(env, std::move(op), stream->handle);
}

// waitEvent(event): later work on this stream waits for the event's last record.
Napi::Value Stream::WaitEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& event = Event::Unwrap(info[0])->core(env);
  CheckCuda(env, cudaStreamWaitEvent(core(env)->handle, event->handle, 0), "cudaStreamWaitEvent");
  return env.Undefined();
}

// synchronize(): Promise<void> that settles once everything enqueued so far has completed.
Napi::Value Stream::Synchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& stream = core(env);
  auto op = std::make_unique<PendingOp>(env);
  op->Hold(stream);
  return AddonState::Get(env)->completions->Launch(env, std::move(op), stream->handle);
}

// query(): true when all enqueued work has completed.
Napi::Value Stream::Query(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cudaError_t status = cudaStreamQuery(core(env)->handle);
  if (status == cudaErrorNotReady) {
    cudaGetLastError();
    return Napi::Boolean::New(env, false);
  }
  CheckCuda(env, status, "cudaStreamQuery");
  return Napi::Boolean::New(env, true);
}

Napi::Value Stream::Dispose(const Napi::CallbackInfo& info) {
  // In-flight ops hold the core; the CUDA stream is destroyed when the last of them settles.
  core_.reset();
  return info.Env().Undefined();
}

Napi::Value Stream::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !core_); }

}  // namespace trtn
