#include "tensorrt/output_allocator.h"

#include "cuda/deferred_release.h"

#include <algorithm>

namespace trtn {

namespace {

constexpr size_t kMallocAlignment = 256;  // what cudaMalloc guarantees

size_t RoundUp(size_t value, size_t to) { return (value + to - 1) / to * to; }

}  // namespace

cudaError_t GrowArenaBlock(ArenaBlock& block, size_t bytes, size_t alignment) {
  alignment = std::max(alignment, kMallocAlignment);
  size_t wanted = RoundUp(std::max<size_t>(bytes, 1), kMallocAlignment);
  if (block.ptr != nullptr && block.bytes >= wanted && reinterpret_cast<uintptr_t>(block.ptr) % alignment == 0) return cudaSuccess;
  try {
    FreeDeviceMemoryLater(block.base);  // cudaFree would stall the calling thread on a device sync
  } catch (...) {
    return cudaErrorMemoryAllocation;  // the old block stays in use: nothing is lost
  }
  block = ArenaBlock{};
  size_t slack = alignment - kMallocAlignment;
  void* base = nullptr;
  cudaError_t status = cudaMalloc(&base, wanted + slack);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return status;
  }
  uintptr_t aligned = RoundUp(reinterpret_cast<uintptr_t>(base), alignment);
  block.base = base;
  block.ptr = reinterpret_cast<void*>(aligned);
  block.bytes = wanted + slack - (aligned - reinterpret_cast<uintptr_t>(base));
  return cudaSuccess;
}

void* ArenaOutputAllocator::reallocateOutputAsync(const char* name, void*, uint64_t size, uint64_t alignment, cudaStream_t) noexcept {
  requested_ = size;
  bool power_of_two = alignment != 0 && (alignment & (alignment - 1)) == 0;
  if (!power_of_two) {
    failure_ = "TensorRT asked for an alignment of " + std::to_string(alignment) + " bytes for \"" + (name ? name : "") + "\"";
    return nullptr;
  }
  cudaError_t status = GrowArenaBlock(*block_, static_cast<size_t>(size), static_cast<size_t>(alignment));
  if (status != cudaSuccess) {
    try {
      failure_ = std::string("cudaMalloc(") + std::to_string(size) + " bytes) for \"" + (name ? name : "") +
                 "\" failed: " + cudaGetErrorName(status);
    } catch (...) {
    }
    return nullptr;  // TensorRT fails the enqueue and says so through the logger
  }
  return block_->ptr;
}

void ArenaOutputAllocator::notifyShape(const char*, const nvinfer1::Dims& dims) noexcept {
  dims_ = dims;
  notified_ = true;
}

void ArenaOutputAllocator::Reset() {
  notified_ = false;
  requested_ = 0;
  failure_.clear();
}

bool ArenaOutputAllocator::ResolvedDims(size_t element_size, nvinfer1::Dims& dims) const {
  dims = dims_;
  if (dims.nbDims < 0 || dims.nbDims > nvinfer1::Dims::MAX_DIMS) return false;
  int32_t unknown = -1;
  uint64_t known = element_size;
  for (int32_t d = 0; d < dims.nbDims; ++d) {
    if (dims.d[d] >= 0) {
      known *= static_cast<uint64_t>(dims.d[d]);
    } else if (unknown >= 0 || dims.d[d] != -1) {
      return false;  // more than one wildcard, or a negative extent that is not one
    } else {
      unknown = d;
    }
  }
  if (unknown < 0) return true;
  // TensorRT asks for the exact size once it knows the shape, and for a byte when it is empty:
  // less than one slice of the unknown extent means none.
  if (known == 0) return false;
  if (requested_ < known) {
    dims.d[unknown] = 0;
  } else if (requested_ % known == 0) {
    dims.d[unknown] = static_cast<int64_t>(requested_ / known);
  } else {
    return false;
  }
  return true;
}

}  // namespace trtn
