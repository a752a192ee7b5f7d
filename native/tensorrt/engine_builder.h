// buildEngine: ONNX bytes -> serialized plan on a thread of its own (a build takes minutes on a
// real GPU, and holding one of libuv's four pool threads that long would stall file and DNS work
// for the whole process). Networks are strongly typed: precision comes from the model.
#pragma once

#include <napi.h>

namespace trtn {

// JS-facing: buildEngine(onnx: Uint8Array, options: NativeBuildOptions,
//   onProgress: (kind: 'start' | 'step' | 'finish', phase, parent, value) => void)
//   -> { promise: Promise<{ plan, timingCache?, warnings }>, cancel(): void }.
// The options are validated and normalised by lib/tensorrt/builder.ts.
Napi::Value BuildEngine(const Napi::CallbackInfo& info);

// JS-facing: mergeTimingCaches(ours: Uint8Array, theirs: Uint8Array) -> Promise<Uint8Array>, on the
// libuv pool: `ours` with the entries of `theirs` it lacks (TensorRT's ITimingCache::combine), for
// builds that share a timing cache file. `theirs` is left out when TensorRT cannot read it or it
// comes from another device or version.
Napi::Value MergeTimingCaches(const Napi::CallbackInfo& info);

}  // namespace trtn
