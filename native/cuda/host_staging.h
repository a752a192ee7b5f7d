// Pageable host memory on a real GPU: cudaMemcpyAsync to or from it may block the calling thread
// until the stream reaches the copy (the driver has to stage it through pinned memory of its
// own). To keep the JS thread free, pageable transfers go through pooled pinned blocks instead:
// an upload copies the caller's bytes into a block right away (one host memcpy), a download lands
// in a block and is copied into the caller's array when the op settles. Memory that lies inside
// a PinnedBuffer needs none of this and is used in place (zero copy).
#pragma once

#include <napi.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "cuda/completion.h"
#include "cuda/pinned_buffer.h"

namespace trtn {

// One per environment, used on its JS thread only.
class StagingPool {
 public:
  // A pinned block of at least `bytes`. It is free again once every holder let go of it (ops let
  // go on the JS thread), and the next Acquire of its size takes it.
  std::shared_ptr<PinnedMemory> Acquire(Napi::Env env, size_t bytes);

 private:
  // The pool's blocks of one size (a power of two): a block is free when the pool holds its only
  // reference. Counting references instead of handing out leases with a deleter that gives the
  // block back means a run allocates nothing here once the pool has its blocks.
  struct SizeClass {
    std::vector<std::shared_ptr<PinnedMemory>> blocks;
    size_t next = 0;  // where to start looking: blocks come back in about the order they went out
  };
  std::vector<SizeClass> classes_;
  size_t pooled_bytes_ = 0;
};

// The source pointer to give cudaMemcpyAsync for uploading `bytes` from `host` (a TypedArray):
// the array itself when pinned, else a staging block filled now. `op` holds what it needs.
const void* StageUpload(Napi::Env env, PendingOp& op, Napi::Value host, void* data, size_t bytes);

// The destination pointer for downloading `bytes` into `host`: the array itself when pinned,
// else a staging block that `op` copies into the array when it settles.
void* StageDownload(Napi::Env env, PendingOp& op, Napi::Value host, void* data, size_t bytes);

}  // namespace trtn
