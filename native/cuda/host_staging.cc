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
// Blocks kept for reuse; beyond this, released blocks are freed.
constexpr size_t kRetainedBytes = 64ull << 20;

size_t BlockSize(size_t bytes) {
  size_t size = kSmallestBlock;
  while (size < bytes) size <<= 1;
  return size;
}

}  // namespace

struct StagingPool::Free {
  std::multimap<size_t, std::shared_ptr<PinnedMemory>> blocks;
  size_t retained = 0;
};

StagingPool::StagingPool() : free_(std::make_shared<Free>()) {}

std::shared_ptr<PinnedMemory> StagingPool::Acquire(Napi::Env env, size_t bytes) {
  size_t size = BlockSize(bytes);
  std::shared_ptr<PinnedMemory> block;
  auto it = free_->blocks.find(size);
  if (it != free_->blocks.end()) {
    block = std::move(it->second);
    free_->blocks.erase(it);
    free_->retained -= size;
  } else {
    block = std::make_shared<PinnedMemory>();
    CheckCuda(env, cudaHostAlloc(&block->ptr, size, cudaHostAllocPortable), "cudaHostAlloc(" + std::to_string(size) + " bytes, staging)");
    block->bytes = size;
  }
  // The lease hands the block back to the pool (if the pool still exists and has room).
  std::weak_ptr<Free> pool = free_;
  return std::shared_ptr<PinnedMemory>(block.get(), [block, pool](PinnedMemory*) mutable {
    if (auto free = pool.lock(); free && free->retained + block->bytes <= kRetainedBytes) {
      free->retained += block->bytes;
      free->blocks.emplace(block->bytes, std::move(block));
    }
  });
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
