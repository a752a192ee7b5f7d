// Node-API type tags let native code check that a JS object really wraps the class it expects
// before using its pointer; JS validates arguments, this only guards memory safety.
#pragma once

#include <napi.h>

namespace trtn {

namespace type_tags {
constexpr napi_type_tag kStream = {0x7472746e00000001ull, 0x9d3c5a1e4b6f2a01ull};
constexpr napi_type_tag kEvent = {0x7472746e00000002ull, 0x9d3c5a1e4b6f2a02ull};
constexpr napi_type_tag kDeviceBuffer = {0x7472746e00000003ull, 0x9d3c5a1e4b6f2a03ull};
constexpr napi_type_tag kPinnedBuffer = {0x7472746e00000004ull, 0x9d3c5a1e4b6f2a04ull};
}  // namespace type_tags

inline void Tag(Napi::Object object, const napi_type_tag& tag) {
  NAPI_THROW_IF_FAILED_VOID(object.Env(), napi_type_tag_object(object.Env(), object, &tag));
}

// Returns the wrapped instance, or throws a TypeError naming `what`.
template <typename T>
T* UnwrapTagged(Napi::Value value, const napi_type_tag& tag, const char* what) {
  Napi::Env env = value.Env();
  bool matches = false;
  if (value.IsObject()) napi_check_object_type_tag(env, value, &tag, &matches);
  if (!matches) throw Napi::TypeError::New(env, std::string("Expected a native ") + what);
  return Napi::ObjectWrap<T>::Unwrap(value.As<Napi::Object>());
}

}  // namespace trtn
