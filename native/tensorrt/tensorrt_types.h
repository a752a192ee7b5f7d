// Names for TensorRT enumerations as JS sees them, written against the enumerators (never their
// numeric values) so one source serves TensorRT 10 and 11.
#pragma once

#include <NvInferRuntime.h>

#include <string>

namespace trtn {

// "kFLOAT", "kHALF", ...: the names lib/dtype.ts maps to tensorrt-node dtypes.
const char* DataTypeName(nvinfer1::DataType type);
// Bytes per element, 0 for sub-byte or unknown types.
size_t DataTypeSize(nvinfer1::DataType type);

// The library must be of the headers' major version with a minor at least the headers' (see
// HeadersLibraryMismatch). Empty when it is.
std::string HeaderLibraryMismatch(int32_t library_version);

}  // namespace trtn
