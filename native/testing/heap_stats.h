// Simulator build only: testing.heapStats() reports what glibc's malloc holds (bytes in live
// allocations, bytes it keeps from the OS) and testing.releaseFreeHeap() hands its free pages back
// (malloc_trim). The soak uses them to tell a leak (live bytes grow) from the allocator keeping
// pages it freed into (RSS grows, live bytes do not). Other C libraries report nothing.
#pragma once

#include <napi.h>

namespace trtn {

void InitHeapStats(Napi::Env env, Napi::Object testing);

}  // namespace trtn
