// tensorrt-node TensorRT simulator: base types shared by the runtime and builder declarations.
// This project's own declarations of the part of TensorRT's API that tensorrt-node uses; names,
// signatures and meaning follow TensorRT 10/11, the binary layout is the simulator's own.
#ifndef NV_INFER_RUNTIME_BASE_H
#define NV_INFER_RUNTIME_BASE_H

#include "NvInferVersion.h"

#include <cstddef>
#include <cstdint>
#include <cuda_runtime_api.h>

#define NV_TENSORRT_VERSION_INT(major, minor, patch) ((major)*10000L + (minor)*100L + (patch)*1L)
#define NV_TENSORRT_VERSION NV_TENSORRT_VERSION_INT(NV_TENSORRT_MAJOR, NV_TENSORRT_MINOR, NV_TENSORRT_PATCH)

#ifdef TENSORRT_BUILD_LIB
#define TENSORRTAPI __attribute__((visibility("default")))
#else
#define TENSORRTAPI
#endif

#define TRT_DEPRECATED [[deprecated]]
#define TRT_DEPRECATED_ENUM TRT_DEPRECATED

namespace nvinfer1 {

using char_t = char;
using AsciiChar = char_t;

// Element types. The order matches TensorRT's so logs and plans read the same.
enum class DataType : int32_t {
  kFLOAT = 0,
  kHALF = 1,
  kINT8 = 2,
  kINT32 = 3,
  kBOOL = 4,
  kUINT8 = 5,
  kFP8 = 6,
  kBF16 = 7,
  kINT64 = 8,
  kINT4 = 9,
  kFP4 = 10,
  kE8M0 = 11,
};

// A shape of up to eight 64-bit extents; -1 marks a dimension fixed only at run time.
class Dims64 {
 public:
  static constexpr int32_t MAX_DIMS{8};
  int32_t nbDims;
  int64_t d[MAX_DIMS];
};

using Dims = Dims64;

enum class TensorIOMode : int32_t {
  kNONE = 0,
  kINPUT = 1,
  kOUTPUT = 2,
};

// Name and version of an interface the application implements (loggers, allocators).
class InterfaceInfo {
 public:
  char const* kind;
  int32_t major;
  int32_t minor;
};

enum class APILanguage : int32_t {
  kCPP = 0,
  kPYTHON = 1,
};

class IVersionedInterface {
 public:
  virtual APILanguage getAPILanguage() const noexcept { return APILanguage::kCPP; }
  virtual InterfaceInfo getInterfaceInfo() const noexcept = 0;
  virtual ~IVersionedInterface() noexcept = default;

 protected:
  IVersionedInterface() = default;
  IVersionedInterface(IVersionedInterface const&) = default;
  IVersionedInterface(IVersionedInterface&&) = default;
  IVersionedInterface& operator=(IVersionedInterface const&) & = default;
  IVersionedInterface& operator=(IVersionedInterface&&) & = default;
};

}  // namespace nvinfer1

// The library's version as major * 10000 + minor * 100 + patch.
extern "C" TENSORRTAPI int32_t getInferLibVersion() noexcept;

#endif
