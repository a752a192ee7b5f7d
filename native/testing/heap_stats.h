// Simulator build only: testing.heapStats() reports what glibc's malloc holds (bytes in live
// allocations, bytes it keeps from the OS) and testing.releaseFreeHeap() hands its free pages back
// (malloc_trim). The soak uses them to tell a leak (live bytes grow) from the allocator keeping
// pages it freed into (RSS grows, live bytes do not). Other C libraries report nothing. With
// build-sim/Release/libtrtn_malloc_counter.so preloaded (LD_PRELOAD) it also reports the calls to
// the allocation functions so far (`allocations`), which tests use to bound a run's allocations.
#pragma once

#include <napi.h>

namespace trtn {

void InitHeapStats(Napi::Env env, Napi::Object testing);

}  // namespace trtn
