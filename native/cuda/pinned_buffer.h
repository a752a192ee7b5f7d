// PinnedBuffer: page-locked host memory (cudaHostAlloc) that JS sees as an ArrayBuffer over the
// same bytes (an external ArrayBuffer), so data written from JS is what the GPU copies: no copy.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

namespace trtn {

struct PinnedMemory {
  void* ptr = nullptr;
  size_t bytes = 0;
  PinnedMemory() = default;
  PinnedMemory(const PinnedMemory&) = delete;  // owns its block: a copy would free it twice
  PinnedMemory& operator=(const PinnedMemory&) = delete;
  ~PinnedMemory();
};

// Lets a copy find the pinned block a caller's TypedArray lies in, so the op can hold the block
// (a dispose or GC during the copy then only frees it afterwards). One per environment.
class PinnedRegistry {
 public:
  void Add(const std::shared_ptr<PinnedMemory>& memory);
  std::shared_ptr<PinnedMemory> Find(const void* ptr, size_t bytes);

 private:
  std::map<uintptr_t, std::weak_ptr<PinnedMemory>> blocks_;
};

class PinnedBuffer : public Napi::ObjectWrap<PinnedBuffer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);

  explicit PinnedBuffer(const Napi::CallbackInfo& info);
  ~PinnedBuffer() override;

 private:
  Napi::Value Buffer(const Napi::CallbackInfo& info);
  Napi::Value ByteLength(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);

  std::shared_ptr<PinnedMemory> memory_;
  Napi::Reference<Napi::ArrayBuffer> array_buffer_;
  size_t byte_length_ = 0;
};

}  // namespace trtn
