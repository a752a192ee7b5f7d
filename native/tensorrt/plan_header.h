// Reads what a plan's first bytes say before TensorRT is asked to deserialize it: whether the
// bytes are a TensorRT plan at all, and which TensorRT version built it. Real plans (and the
// simulator's) start with the tag "ftrt" and carry the builder's major, minor, patch and build
// numbers in bytes 24..27.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace trtn {

struct PlanHeader {
  bool is_plan = false;
  bool too_small = false;
  int major = 0, minor = 0, patch = 0, build = 0;
  std::string Version() const;
};

PlanHeader ReadPlanHeader(const uint8_t* data, size_t size);

struct LibraryVersion {
  int major = 0, minor = 0, patch = 0;
  std::string Version() const;
};

// getInferLibVersion() packs major * 10000 + minor * 100 + patch.
LibraryVersion UnpackLibraryVersion(int32_t packed);

}  // namespace trtn
