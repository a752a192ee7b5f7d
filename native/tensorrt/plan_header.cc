#include "tensorrt/plan_header.h"

#include <cstring>

namespace trtn {

namespace {
constexpr char kPlanTag[4] = {'f', 't', 'r', 't'};
constexpr size_t kLayoutWordOffset = 4;
constexpr size_t kVersionOffset = 24;
}  // namespace

std::string LibraryVersion::Version(bool with_build) const {
  std::string text = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (with_build && build >= 0) text += "." + std::to_string(build);
  return text;
}

PlanHeader ReadPlanHeader(const uint8_t* data, size_t size) {
  PlanHeader header;
  header.size = size;
  if (data == nullptr || size < sizeof(kPlanTag)) return header;
  header.has_tag = std::memcmp(data, kPlanTag, sizeof(kPlanTag)) == 0;
  if (!header.has_tag || size < kLayoutWordOffset + 4) return header;
  const uint8_t* word = data + kLayoutWordOffset;
  header.layout_word = static_cast<uint32_t>(word[0]) | static_cast<uint32_t>(word[1]) << 8 | static_cast<uint32_t>(word[2]) << 16 |
                       static_cast<uint32_t>(word[3]) << 24;
  if (header.layout_word != 0 || size < kVersionOffset + 4) return header;
  header.version_known = true;
  header.version = LibraryVersion{data[kVersionOffset], data[kVersionOffset + 1], data[kVersionOffset + 2], data[kVersionOffset + 3]};
  return header;
}

LibraryVersion UnpackLibraryVersion(int32_t packed, int32_t build) {
  return LibraryVersion{packed / 10000, (packed / 100) % 100, packed % 100, build};
}

std::string HeadersLibraryMismatch(const LibraryVersion& headers, const LibraryVersion& library) {
  if (library.major == headers.major && library.minor >= headers.minor) return "";
  std::string wanted = std::to_string(headers.major) + "." + std::to_string(headers.minor);
  return "tensorrt-node was compiled against TensorRT " + wanted + " headers but loaded TensorRT " + library.Version() +
         "; it needs TensorRT " + wanted + " or a later " + std::to_string(headers.major) +
         ".x release: install one, or rebuild the addon against the installed TensorRT's headers (TENSORRT_INCLUDE=... npm rebuild "
         "tensorrt-node)";
}

}  // namespace trtn
