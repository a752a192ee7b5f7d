// DeviceBuffer: a block of device memory (cudaMalloc) exposed to JS by size only; its contents are
// reached through Stream copies.
#pragma once

#include <napi.h>

#include <cstddef>
#include <memory>

namespace trtn {

struct DeviceMemory {
  void* ptr = nullptr;
  size_t bytes = 0;
  int device = 0;  // where it was allocated, and so where it is freed
  DeviceMemory() = default;
  DeviceMemory(const DeviceMemory&) = delete;  // owns its block: a copy would free it twice
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  ~DeviceMemory();
};

class DeviceBuffer : public Napi::ObjectWrap<DeviceBuffer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static DeviceBuffer* Unwrap(Napi::Value value);

  explicit DeviceBuffer(const Napi::CallbackInfo& info);
  ~DeviceBuffer() override;

  const std::shared_ptr<DeviceMemory>& memory(Napi::Env env) const;

 private:
  Napi::Value ByteLength(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);

  std::shared_ptr<DeviceMemory> memory_;
  size_t byte_length_ = 0;
};

}  // namespace trtn
