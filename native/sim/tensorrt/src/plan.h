// The simulator's plan format. Its header follows the layout NVIDIA's trtexec reads from real
// plans: the tag "ftrt" at offset 0, a 32-bit serialization version at offset 4 (0 for the
// current format; only then do bytes 24..27 hold the building TensorRT's major, minor, patch and
// build numbers). The rest is the simulator's own (all little-endian):
//   8 "NSIM"   12 format version   16 payload size (u64)   24..27 TensorRT version
//   28 flags (bit 0: the plan embeds host code, i.e. it was built version-compatible)
//   32 CRC-32 of the payload   36 compute capability major, minor of the building GPU   38 zero
// The payload that follows holds the engine description.
#pragma once

#include "graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace trtsim {

constexpr size_t kPlanHeaderSize = 40;
constexpr uint32_t kSerializationVersion = 0;
constexpr uint32_t kPlanFormatVersion = 1;
constexpr uint32_t kPlanFlagHostCode = 1;

struct IOTensor {
  std::string name;
  nvinfer1::TensorIOMode mode = nvinfer1::TensorIOMode::kINPUT;
  DataType type = DataType::kFLOAT;
  Shape dims;  // -1 for dynamic extents
  int tensor;  // index into the graph's tensors
};

struct ProfileRanges {
  // One entry per engine input, in io order (inputs come first).
  std::vector<Shape> min, opt, max;
};

// What the builder was asked for and what it did, kept in the plan so tools can read it back.
struct BuildRecord {
  uint32_t flags = 0;  // nvinfer1::BuilderFlags
  uint64_t workspace = 0;
  int32_t optimizationLevel = 3;
  int32_t hardwareCompatibility = 0;  // nvinfer1::HardwareCompatibilityLevel
  int32_t maxAuxStreams = -1;         // -1: the builder's heuristic
  int32_t timingCacheHits = 0;        // layer timings taken from the timing cache
  int32_t timingCacheMisses = 0;      // layer timings measured (and added to the cache)
  int32_t sparseLayers = 0;           // layers whose weights run as 2:4 structured sparsity
  std::vector<std::string> plugins;   // plugin libraries loaded for the build
};

struct EngineDesc {
  std::string name;
  Graph graph;
  std::vector<IOTensor> io;
  std::vector<ProfileRanges> profiles;
  std::vector<int64_t> deviceMemory;  // activation bytes per profile
  BuildRecord build;
  bool hostCode = false;
  uint8_t version[4] = {0, 0, 0, 0};  // the TensorRT version that built the plan
  uint8_t compute[2] = {0, 0};        // the building GPU's compute capability; {0, 0}: the current device's
};

std::vector<uint8_t> writePlan(const EngineDesc& engine);

enum class PlanProblem { kNone, kTooSmall, kBadMagic, kSerializationVersion, kVersion, kHostCode, kTruncated, kChecksum, kMalformed };

struct PlanHeader {
  uint32_t serializationVersion = 0;
  uint32_t formatVersion = 0;
  uint32_t flags = 0;
  uint64_t payloadSize = 0;
  uint8_t version[4] = {0, 0, 0, 0};
  uint32_t crc = 0;
  uint8_t compute[2] = {0, 0};
};

// Header only: kTooSmall, kBadMagic, kSerializationVersion, kMalformed (not the simulator's format) or kNone.
PlanProblem readPlanHeader(const void* data, size_t size, PlanHeader& header);
// Payload (after the header checks the runtime makes itself): kTruncated, kChecksum, kMalformed or kNone.
PlanProblem readPlanPayload(const void* data, size_t size, const PlanHeader& header, EngineDesc& engine, std::string& detail);

uint32_t crc32(const uint8_t* data, size_t size);

// The current CUDA device's compute capability; false when CUDA cannot say.
bool currentComputeCapability(uint8_t compute[2]);

}  // namespace trtsim
