#include "testing/sim_plan.h"

#include <dlfcn.h>

#include <string>
#include <vector>

#include "errors.h"
#include "tensorrt/loader.h"

namespace trtn {
namespace {

using DescribePlan = size_t (*)(const void*, size_t, char*, size_t);

Napi::Value DescribeSimPlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw MakeError(env, ErrorCode::kInvalidArgument, "Expected a Uint8Array for plan");
  const TensorRTLibrary& lib = LoadTensorRT();
  if (!lib.available) throw MakeError(env, ErrorCode::kBackendUnavailable, "The simulated TensorRT is not available: " + lib.reason);
  // Already loaded by the loader: this only takes another reference to the same library.
  void* handle = dlopen(lib.path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  auto describe = handle ? reinterpret_cast<DescribePlan>(dlsym(handle, "trtsimDescribePlan")) : nullptr;
  if (!describe) {
    if (handle) dlclose(handle);
    throw MakeError(env, ErrorCode::kBackendUnavailable, "The loaded TensorRT is not the simulator");
  }
  Napi::Uint8Array plan = info[0].As<Napi::Uint8Array>();
  size_t length = describe(plan.Data(), plan.ByteLength(), nullptr, 0);
  std::vector<char> json(length + 1);
  if (length > 0) describe(plan.Data(), plan.ByteLength(), json.data(), json.size());
  dlclose(handle);
  if (length == 0) throw MakeError(env, ErrorCode::kEngineCorrupt, "Not a readable simulator plan");
  return Napi::String::New(env, json.data(), length);
}

}  // namespace

void InitSimPlan(Napi::Env env, Napi::Object exports) {
  Napi::Value testing = exports.Get("testing");
  Napi::Object object = testing.IsObject() ? testing.As<Napi::Object>() : Napi::Object::New(env);
  object.Set("describeSimPlan", Napi::Function::New<DescribeSimPlan>(env, "describeSimPlan"));
  exports.Set("testing", object);
}

}  // namespace trtn
