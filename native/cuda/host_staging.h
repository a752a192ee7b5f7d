// Pageable host memory on a real GPU: cudaMemcpyAsync to or from it may block the calling thread
// until the stream reaches the copy (the driver has to stage it through pinned memory of its
// own). To keep the JS thread free, pageable transfers go through pooled pinned blocks instead:
// an upload copies the caller's bytes into a block right away (one host memcpy), a download lands
// in a block and is copied into the caller's array when the op settles. Memory that lies inside
// a PinnedBuffer needs none of this and is used in place (zero copy).
#pragma once

#include <napi.h>

#include <cstddef>
#include <map>
#include <memory>

#include "cuda/completion.h"
#include "cuda/pinned_buffer.h"

namespace trtn {

class StagingPool {
 public:
  StagingPool();
  // A pinned block of at least `bytes`, returned to the pool when the last holder lets go.
  std::shared_ptr<PinnedMemory> Acquire(Napi::Env env, size_t bytes);

 private:
  struct Free;
  std::shared_ptr<Free> free_;
};

// The source pointer to give cudaMemcpyAsync for uploading `bytes` from `host` (a TypedArray):
// the array itself when pinned, else a staging block filled now. `op` holds what it needs.
const void* StageUpload(Napi::Env env, PendingOp& op, Napi::Value host, void* data, size_t bytes);

// The destination pointer for downloading `bytes` into `host`: the array itself when pinned,
// else a staging block that `op` copies into the array when it settles.
void* StageDownload(Napi::Env env, PendingOp& op, Napi::Value host, void* data, size_t bytes);

}  // namespace trtn
