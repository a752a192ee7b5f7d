// The release this simulated libnvinfer says it is: NV_TENSORRT_MAJOR.MINOR.PATCH.BUILD of its
// headers, or the version in TENSORRT_NODE_SIM_TENSORRT_VERSION ("11.0.0" or "11.0.0.5"), read
// once, so tests can stand in for another release of the same library (an older minor, another
// build). getInferLibVersion(), the plans the builder writes and the runtime's version check all
// use it.
#pragma once

#include <cstdint>
#include <string>

namespace trtsim {

struct LibraryVersion {
  uint8_t major, minor, patch, build;
  int32_t packed() const { return major * 10000 + minor * 100 + patch; }
  std::string text() const;  // "11.1.0.0", as TensorRT prints versions in its messages
};

const LibraryVersion& libraryVersion();

}  // namespace trtsim
