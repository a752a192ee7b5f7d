#include "tensorrt/info.h"

#include "tensorrt/loader.h"

namespace trtn {
namespace {

Napi::Object Library(Napi::Env env, bool available, const std::string& path, int32_t version, const std::string& reason) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("available", available);
  if (!path.empty()) result.Set("library", path);
  if (version != 0) result.Set("version", version);
  if (!available && !reason.empty()) result.Set("reason", reason);
  return result;
}

// tensorrtInfo(): { available, library, version, reason?, builder: { available, reason? },
// parser: { available, library, version, reason? }, plugins: { available, library, reason? } }.
// Versions are raw major * 10000 + minor * 100 + patch numbers; JS decodes them.
Napi::Value TensorRTInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TensorRTLibrary& lib = LoadTensorRT();
  Napi::Object result = Library(env, lib.available, lib.path, lib.version, lib.reason);
  result.Set("builder", Library(env, lib.builder_available, "", 0, lib.builder_reason));
  result.Set("parser", Library(env, lib.parser_available, lib.parser_path, lib.parser_version, lib.parser_reason));
  std::string plugins_reason = lib.PluginsUsable() ? "" : lib.PluginState();
  result.Set("plugins", Library(env, lib.PluginsUsable(), lib.plugins_path, 0, plugins_reason));
  return result;
}

}  // namespace

void InitTensorRTInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("tensorrtInfo", Napi::Function::New<TensorRTInfo>(env, "tensorrtInfo"));
}

}  // namespace trtn
