#include "tensorrt/tensorrt_types.h"

#include "tensorrt/plan_header.h"

namespace trtn {

const char* DataTypeName(nvinfer1::DataType type) {
  using T = nvinfer1::DataType;
  switch (type) {
    case T::kFLOAT:
      return "kFLOAT";
    case T::kHALF:
      return "kHALF";
    case T::kINT8:
      return "kINT8";
    case T::kINT32:
      return "kINT32";
    case T::kBOOL:
      return "kBOOL";
    case T::kUINT8:
      return "kUINT8";
    case T::kFP8:
      return "kFP8";
    case T::kBF16:
      return "kBF16";
    case T::kINT64:
      return "kINT64";
    case T::kINT4:
      return "kINT4";
    default:
      return "unknown";
  }
}

size_t DataTypeSize(nvinfer1::DataType type) {
  using T = nvinfer1::DataType;
  switch (type) {
    case T::kFLOAT:
    case T::kINT32:
      return 4;
    case T::kHALF:
    case T::kBF16:
      return 2;
    case T::kINT8:
    case T::kUINT8:
    case T::kBOOL:
    case T::kFP8:
      return 1;
    case T::kINT64:
      return 8;
    default:
      return 0;
  }
}

std::string HeaderLibraryMismatch(int32_t library_version) {
  return HeadersLibraryMismatch(LibraryVersion{NV_TENSORRT_MAJOR, NV_TENSORRT_MINOR, NV_TENSORRT_PATCH},
                                UnpackLibraryVersion(library_version));
}

}  // namespace trtn
