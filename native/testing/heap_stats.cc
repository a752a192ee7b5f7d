#include "testing/heap_stats.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace trtn {
namespace {

// { inUse, held } in bytes, or undefined where the C library does not say.
Napi::Value HeapStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 stats = mallinfo2();
  Napi::Object result = Napi::Object::New(env);
  // hblkhd: blocks malloc mmapped on their own; they count as both live and held.
  result.Set("inUse", Napi::Number::New(env, static_cast<double>(stats.uordblks + stats.hblkhd)));
  result.Set("held", Napi::Number::New(env, static_cast<double>(stats.arena + stats.hblkhd)));
  // Calls to the allocation functions so far, when the counter (malloc_counter/) is preloaded.
  using Calls = uint64_t (*)();
  if (auto calls = reinterpret_cast<Calls>(dlsym(RTLD_DEFAULT, "trtnMallocCalls")))
    result.Set("allocations", Napi::Number::New(env, static_cast<double>(calls())));
  return result;
#else
  return env.Undefined();
#endif
}

// True when glibc returned memory to the OS.
Napi::Value ReleaseFreeHeap(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// glibc's malloc_info: per arena, its free chunks by size, its top chunk and the memory it took
// from the system (XML), to see where freed memory stays resident; undefined elsewhere.
Napi::Value MallocInfo(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  if (out == nullptr) return info.Env().Undefined();
  malloc_info(0, out);
  fclose(out);
  Napi::String result = Napi::String::New(info.Env(), text, size);
  free(text);
  return result;
#else
  return info.Env().Undefined();
#endif
}

}  // namespace

void InitHeapStats(Napi::Env env, Napi::Object testing) {
  testing.Set("heapStats", Napi::Function::New<HeapStats>(env, "heapStats"));
  testing.Set("releaseFreeHeap", Napi::Function::New<ReleaseFreeHeap>(env, "releaseFreeHeap"));
  testing.Set("mallocInfo", Napi::Function::New<MallocInfo>(env, "mallocInfo"));
}

}  // namespace trtn
