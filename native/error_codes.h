// The codes native code gives TensorRTNodeError: each is one of lib/errors.ts ErrorCode, spelled
// once here (test/unit/native-error-codes.test.ts checks both sides, and that no other native
// source spells a code itself).
#pragma once

namespace trtn {

struct ErrorCode {
  static constexpr const char* kInvalidArgument = "ERR_INVALID_ARGUMENT";
  static constexpr const char* kUnknownTensor = "ERR_UNKNOWN_TENSOR";
  static constexpr const char* kShapeMismatch = "ERR_SHAPE_MISMATCH";
  static constexpr const char* kEngineIncompatible = "ERR_ENGINE_INCOMPATIBLE";
  static constexpr const char* kEngineCorrupt = "ERR_ENGINE_CORRUPT";
  static constexpr const char* kBuildFailed = "ERR_BUILD_FAILED";
  static constexpr const char* kBackendUnavailable = "ERR_BACKEND_UNAVAILABLE";
  static constexpr const char* kInferenceFailed = "ERR_INFERENCE_FAILED";
  static constexpr const char* kCuda = "ERR_CUDA";
  static constexpr const char* kOutOfMemory = "ERR_OUT_OF_MEMORY";
  static constexpr const char* kDisposed = "ERR_DISPOSED";
  static constexpr const char* kAborted = "ERR_ABORTED";
};

}  // namespace trtn
