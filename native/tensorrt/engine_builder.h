// buildEngine: ONNX bytes -> serialized plan, on the libuv pool. A minimal builder for tests and
// the engine cache; networks are strongly typed (precision comes from the model).
#pragma once

#include <napi.h>

namespace trtn {

// JS-facing: buildEngine(onnx: Uint8Array, options: { profiles: Record<string, {min, opt, max}>[],
//   versionCompatible?: boolean, workspaceBytes?: number }): Promise<Buffer>.
Napi::Value BuildEngine(const Napi::CallbackInfo& info);

}  // namespace trtn
