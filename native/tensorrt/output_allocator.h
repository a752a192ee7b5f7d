// Device memory of an execution context's I/O tensors: one grow-only block per tensor, and the
// IOutputAllocator TensorRT asks for the memory of outputs whose shape depends on the data.
#pragma once

#include <NvInferRuntime.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace trtn {

// `ptr` lies inside the allocation at `base`, aligned as asked, with `bytes` usable from it.
struct ArenaBlock {
  void* base = nullptr;
  void* ptr = nullptr;
  size_t bytes = 0;
};

// Makes `block` hold at least `bytes` at `alignment` (a power of two), replacing a smaller block
// (freed on the release thread). cudaMalloc only promises 256-byte alignment: larger alignments
// are met by allocating more and aligning inside. Never throws.
cudaError_t GrowArenaBlock(ArenaBlock& block, size_t bytes, size_t alignment);

// TensorRT calls reallocateOutputAsync during enqueueV3, once the size is known, then reports the
// shape. An exception must not cross into TensorRT: failures return nullptr (TensorRT fails the
// enqueue) and are remembered for the error the run reports.
class ArenaOutputAllocator final : public nvinfer1::IOutputAllocator {
 public:
  explicit ArenaOutputAllocator(ArenaBlock* block) : block_(block) {}
  void* reallocateOutputAsync(const char* name, void* current, uint64_t size, uint64_t alignment, cudaStream_t stream) noexcept override;
  void notifyShape(const char* name, const nvinfer1::Dims& dims) noexcept override;

  void Reset();
  bool notified() const { return notified_; }
  const std::string& failure() const { return failure_; }
  // The reported shape, with an extent TensorRT left at -1 (TensorRT 10.16.1 does,
  // NVIDIA/TensorRT#4744) recovered from the size it asked for; false when it cannot be.
  bool ResolvedDims(size_t element_size, nvinfer1::Dims& dims) const;

 private:
  ArenaBlock* block_;
  nvinfer1::Dims dims_{};
  uint64_t requested_ = 0;
  bool notified_ = false;
  std::string failure_;
};

}  // namespace trtn
