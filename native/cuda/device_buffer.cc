#include "cuda/device_buffer.h"

#include <cuda_runtime_api.h>

#include "addon_state.h"
#include "cuda/current_device.h"
#include "cuda/deferred_release.h"
#include "errors.h"
#include "type_tags.h"

namespace trtn {

DeviceMemory::~DeviceMemory() { FreeDeviceMemoryLater(ptr, device); }

void DeviceBuffer::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "DeviceBuffer",
                                    {
                                        InstanceAccessor<&DeviceBuffer::ByteLength>("byteLength"),
                                        InstanceAccessor<&DeviceBuffer::IsDisposed>("disposed"),
                                        InstanceMethod<&DeviceBuffer::Dispose>("dispose"),
                                    });
  AddonState::Get(env)->device_buffer_class = Napi::Persistent(ctor);
  exports.Set("DeviceBuffer", ctor);
}

DeviceBuffer* DeviceBuffer::Unwrap(Napi::Value value) {
  return UnwrapTagged<DeviceBuffer>(value, type_tags::kDeviceBuffer, "DeviceBuffer");
}

DeviceBuffer::DeviceBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceBuffer>(info) {
  Napi::Env env = info.Env();
  auto bytes = static_cast<size_t>(info[0].As<Napi::Number>().Int64Value());
  int device = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  UseDeviceOrThrow(env, device);
  auto memory = std::make_shared<DeviceMemory>();
  memory->device = device;
  CheckCuda(env, cudaMalloc(&memory->ptr, bytes), "cudaMalloc(" + std::to_string(bytes) + " bytes)");
  memory->bytes = bytes;
  memory_ = std::move(memory);
  byte_length_ = bytes;
  AddonState::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
  Tag(info.This().As<Napi::Object>(), type_tags::kDeviceBuffer);
}

DeviceBuffer::~DeviceBuffer() { Release(Env()); }

const std::shared_ptr<DeviceMemory>& DeviceBuffer::memory(Napi::Env env) const {
  if (!memory_) throw DisposedError(env, "DeviceBuffer");
  return memory_;
}

void DeviceBuffer::Release(Napi::Env env) {
  if (!memory_) return;
  // In-flight copies hold their own reference; the memory is freed when the last one settles.
  memory_.reset();
  AddonState* state = AddonState::TryGet(env);
  if (state != nullptr && !state->tearing_down) AddonState::AdjustExternalMemory(env, -static_cast<int64_t>(byte_length_));
}

Napi::Value DeviceBuffer::ByteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(byte_length_));
}

Napi::Value DeviceBuffer::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !memory_); }

Napi::Value DeviceBuffer::Dispose(const Napi::CallbackInfo& info) {
  Release(info.Env());
  return info.Env().Undefined();
}

}  // namespace trtn
