#include "tensorrt/plan_header.h"

#include <cstring>

namespace trtn {

namespace {
constexpr size_t kHeaderBytes = 32;
constexpr char kPlanTag[4] = {'f', 't', 'r', 't'};
constexpr size_t kVersionOffset = 24;
}  // namespace

std::string PlanHeader::Version() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string LibraryVersion::Version() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

PlanHeader ReadPlanHeader(const uint8_t* data, size_t size) {
  PlanHeader header;
  if (data == nullptr || size < kHeaderBytes) {
    header.too_small = true;
    return header;
  }
  header.is_plan = std::memcmp(data, kPlanTag, sizeof(kPlanTag)) == 0;
  header.major = data[kVersionOffset];
  header.minor = data[kVersionOffset + 1];
  header.patch = data[kVersionOffset + 2];
  header.build = data[kVersionOffset + 3];
  return header;
}

LibraryVersion UnpackLibraryVersion(int32_t packed) {
  return LibraryVersion{packed / 10000, (packed / 100) % 100, packed % 100};
}

}  // namespace trtn
