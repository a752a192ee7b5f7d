// cudaFree and cudaFreeHost synchronize the whole device: called on the JS thread (from dispose()
// or a GC finalizer) they would stall the event loop until every stream's work, e.g. a long
// inference on another stream, has finished. Memory is therefore handed to one process-wide
// release thread that frees it in order. V8's external-memory accounting is adjusted by the JS
// wrappers when they let go, independently of when the bytes are actually freed.
#pragma once

#include <cstddef>
#include <functional>

namespace trtn {

// `device`: the device the memory or object lives on, made current on the release thread before
// it is freed; -1 means the device current on the calling thread now.
void FreeDeviceMemoryLater(void* ptr, int device = -1);
// Pinned memory is allocated portable (cudaHostAllocPortable): it is freed whatever is current.
void FreePinnedMemoryLater(void* ptr);
// Runs `release` on the release thread, after everything queued before it, with `device`
// current: for objects whose destruction frees device memory (TensorRT engines and contexts).
void ReleaseLater(std::function<void()> release, int device);

// Blocks queued or being freed right now (JS: pendingReleases(), for tests and diagnostics).
size_t PendingReleases();

}  // namespace trtn
