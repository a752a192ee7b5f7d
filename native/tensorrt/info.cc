#include "tensorrt/info.h"

#include "tensorrt/loader.h"

namespace trtn {
namespace {

// tensorrtInfo(): { available, library, version, reason?, parser: { available, library, version, reason? } }
// Versions are the raw getInferLibVersion()/getNvOnnxParserVersion() numbers; JS decodes them.
Napi::Value TensorRTInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TensorRTLibrary& lib = LoadTensorRT();
  Napi::Object result = Napi::Object::New(env);
  result.Set("available", lib.available);
  if (!lib.path.empty()) result.Set("library", lib.path);
  if (lib.version != 0) result.Set("version", lib.version);
  if (!lib.reason.empty()) result.Set("reason", lib.reason);
  Napi::Object parser = Napi::Object::New(env);
  parser.Set("available", lib.parser_available);
  if (!lib.parser_path.empty()) parser.Set("library", lib.parser_path);
  if (lib.parser_version != 0) parser.Set("version", lib.parser_version);
  if (!lib.parser_reason.empty()) parser.Set("reason", lib.parser_reason);
  result.Set("parser", parser);
  return result;
}

}  // namespace

void InitTensorRTInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("tensorrtInfo", Napi::Function::New<TensorRTInfo>(env, "tensorrtInfo"));
}

}  // namespace trtn
