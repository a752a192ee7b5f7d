#include "cuda/pinned_buffer.h"

#include <cuda_runtime_api.h>

#include "addon_state.h"
#include "cuda/deferred_release.h"
#include "errors.h"
#include "type_tags.h"

namespace trtn {

PinnedMemory::~PinnedMemory() { FreePinnedMemoryLater(ptr); }

void PinnedRegistry::Add(const std::shared_ptr<PinnedMemory>& memory) {
  // Forget blocks that are gone so the map stays as small as the set of live buffers.
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    it = it->second.expired() ? blocks_.erase(it) : std::next(it);
  }
  blocks_[reinterpret_cast<uintptr_t>(memory->ptr)] = memory;
}

std::shared_ptr<PinnedMemory> PinnedRegistry::Find(const void* ptr, size_t bytes) {
  auto address = reinterpret_cast<uintptr_t>(ptr);
  auto it = blocks_.upper_bound(address);
  if (it == blocks_.begin()) return nullptr;
  --it;
  std::shared_ptr<PinnedMemory> memory = it->second.lock();
  if (!memory) return nullptr;
  size_t offset = address - it->first;
  return offset < memory->bytes && bytes <= memory->bytes - offset ? memory : nullptr;
}

void PinnedBuffer::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "PinnedBuffer",
                                    {
                                        InstanceAccessor<&PinnedBuffer::Buffer>("buffer"),
                                        InstanceAccessor<&PinnedBuffer::ByteLength>("byteLength"),
                                        InstanceAccessor<&PinnedBuffer::IsDisposed>("disposed"),
                                        InstanceMethod<&PinnedBuffer::Dispose>("dispose"),
                                    });
  AddonState::Get(env)->pinned_buffer_class = Napi::Persistent(ctor);
  exports.Set("PinnedBuffer", ctor);
}

PinnedBuffer::PinnedBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PinnedBuffer>(info) {
  Napi::Env env = info.Env();
  auto bytes = static_cast<size_t>(info[0].As<Napi::Number>().Int64Value());
  auto memory = std::make_shared<PinnedMemory>();
  CheckCuda(env, cudaHostAlloc(&memory->ptr, bytes, cudaHostAllocPortable), "cudaHostAlloc(" + std::to_string(bytes) + " bytes)");
  memory->bytes = bytes;

  // The ArrayBuffer holds its own reference to the block: JS may keep using a view after the
  // wrapper was collected, and the block must outlive every view that can still reach it.
  auto* holder = new std::shared_ptr<PinnedMemory>(memory);
  Napi::ArrayBuffer array_buffer = Napi::ArrayBuffer::New(
      env, memory->ptr, bytes, [](Napi::Env, void*, std::shared_ptr<PinnedMemory>* hint) { delete hint; }, holder);
  array_buffer_ = Napi::Persistent(array_buffer);
  AddonState::Get(env)->pinned->Add(memory);
  memory_ = std::move(memory);
  byte_length_ = bytes;
  AddonState::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
  Tag(info.This().As<Napi::Object>(), type_tags::kPinnedBuffer);
}

PinnedBuffer::~PinnedBuffer() { Release(Env()); }

void PinnedBuffer::Release(Napi::Env env) {
  if (!memory_) return;
  memory_.reset();
  AddonState* state = AddonState::TryGet(env);
  if (state != nullptr && !state->tearing_down) AddonState::AdjustExternalMemory(env, -static_cast<int64_t>(byte_length_));
  array_buffer_.Reset();
}

Napi::Value PinnedBuffer::Buffer(const Napi::CallbackInfo& info) {
  if (!memory_) throw DisposedError(info.Env(), "PinnedBuffer");
  return array_buffer_.Value();
}

Napi::Value PinnedBuffer::ByteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(byte_length_));
}

Napi::Value PinnedBuffer::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !memory_); }

Napi::Value PinnedBuffer::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (memory_) {
    // Detach so no JS view can reach the block after dispose; the block itself is freed once
    // the ArrayBuffer's finalizer and every in-flight copy let go of it.
    Napi::ArrayBuffer array_buffer = array_buffer_.Value();
    if (!array_buffer.IsDetached()) array_buffer.Detach();
  }
  Release(env);
  return env.Undefined();
}

}  // namespace trtn
