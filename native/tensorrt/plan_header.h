// What a plan's first bytes say, read only to explain a failure TensorRT reports (TensorRT alone
// decides whether a plan loads; there is no public API for its header). NVIDIA's trtexec reads the
// same fields: the tag "ftrt" at offset 0 and, only when the 32-bit word at offset 4 is 0 (the
// layout "may depend on the serialization version"), the building TensorRT's major, minor, patch
// and build numbers in bytes 24..27.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace trtn {

struct LibraryVersion {
  int major = 0, minor = 0, patch = 0, build = -1;  // build -1: not known
  // "11.1.0", or "11.1.0.35" when `with_build` and the build number is known.
  std::string Version(bool with_build = false) const;
};

struct PlanHeader {
  size_t size = 0;
  bool has_tag = false;        // starts with "ftrt"
  bool version_known = false;  // has_tag, the word at 4 is 0 and bytes 24..27 are present
  uint32_t layout_word = 0;    // the 32-bit word at offset 4 (little-endian), when present
  LibraryVersion version;      // the building TensorRT, when version_known
};

PlanHeader ReadPlanHeader(const uint8_t* data, size_t size);

// getInferLibVersion() packs major * 10000 + minor * 100 + patch; the build comes separately.
LibraryVersion UnpackLibraryVersion(int32_t packed, int32_t build = -1);

// An addon compiled against headers of one TensorRT release works with a library of the same
// major version whose minor is at least the headers' (newer minors only add to the interfaces the
// headers describe). Empty when `library` qualifies, else why not and what to do.
std::string HeadersLibraryMismatch(const LibraryVersion& headers, const LibraryVersion& library);

}  // namespace trtn
