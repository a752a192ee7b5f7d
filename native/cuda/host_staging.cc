#include "cuda/host_staging.h"

#include <cuda_runtime_api.h>

#include <cstring>
#include <string>
#include <vector>

#include "addon_state.h"
#include "errors.h"

namespace trtn {
namespace {

constexpr size_t kSmallestBlock = 4096;
// Bytes of blocks the pool keeps for reuse; blocks beyond it are freed once let go.
constexpr size_t kRetainedBytes = 64ull << 20;

}  // namespace

std::shared_ptr<PinnedMemory> StagingPool::Acquire(Napi::Env env, size_t bytes) {
  size_t size = kSmallestBlock;
  size_t index = 0;
  for (; size < bytes; size <<= 1) ++index;
  if (classes_.size() <= index) classes_.resize(index + 1);
  SizeClass& sizes = classes_[index];
  for (size_t n = 0; n < sizes.blocks.size(); ++n) {
    size_t i = (sizes.next + n) % sizes.blocks.size();
    // Only this thread copies the pool's references, so a count of one cannot rise meanwhile.
    if (sizes.blocks[i].use_count() == 1) {
      sizes.next = i + 1;
      return sizes.blocks[i];
    }
  }
  auto block = std::make_shared<PinnedMemory>();
  CheckCuda(env, cudaHostAlloc(&block->ptr, size, cudaHostAllocPortable), "cudaHostAlloc(" + std::to_string(size) + " bytes, staging)");
  block->bytes = size;
  if (pooled_bytes_ + size <= kRetainedBytes) {
    pooled_bytes_ += size;
    sizes.blocks.push_back(block);
    sizes.next = sizes.blocks.size();
  }
  return block;
}

const void* StageUpload(Napi::Env env, PendingOp& op, Napi::Value host, void* data, size_t bytes) {
  op.KeepAlive(host);
  AddonState* state = AddonState::Get(env);
  if (auto pinned = state->pinned->Find(data, bytes)) {
    op.Hold(pinned);
    return data;
  }
  auto block = state->staging->Acquire(env, bytes);
  if (bytes != 0) std::memcpy(block->ptr, data, bytes);
  op.Hold(block);
  return block->ptr;
}

void* StageDownload(Napi::Env env, PendingOp& op, Napi::Value host, void* data, size_t bytes) {
  op.KeepAlive(host);
  AddonState* state = AddonState::Get(env);
  if (auto pinned = state->pinned->Find(data, bytes)) {
    op.Hold(pinned);
    return data;
  }
  auto block = state->staging->Acquire(env, bytes);
  op.CopyIntoOnSettle(host, block, bytes);
  return block->ptr;
}

}  // namespace trtn
