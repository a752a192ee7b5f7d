#include "library_version.h"

#include <NvInferVersion.h>

#include <cstdio>
#include <cstdlib>

namespace trtsim {

std::string LibraryVersion::text() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) + "." + std::to_string(build);
}

const LibraryVersion& libraryVersion() {
  static const LibraryVersion version = [] {
    LibraryVersion v{NV_TENSORRT_MAJOR, NV_TENSORRT_MINOR, NV_TENSORRT_PATCH, NV_TENSORRT_BUILD};
    const char* text = std::getenv("TENSORRT_NODE_SIM_TENSORRT_VERSION");
    unsigned parts[4] = {0, 0, 0, 0};
    if (text != nullptr && std::sscanf(text, "%u.%u.%u.%u", &parts[0], &parts[1], &parts[2], &parts[3]) >= 3 && parts[0] < 256 &&
        parts[1] < 100 && parts[2] < 100 && parts[3] < 256) {
      v = LibraryVersion{static_cast<uint8_t>(parts[0]), static_cast<uint8_t>(parts[1]), static_cast<uint8_t>(parts[2]),
                         static_cast<uint8_t>(parts[3])};
    }
    return v;
  }();
  return version;
}

}  // namespace trtsim
