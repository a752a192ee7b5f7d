// Test-only (simulator build): a library to preload (LD_PRELOAD) that counts the process's calls
// to glibc's allocation functions and passes them on to glibc. testing.heapStats() reports the
// count as `allocations` when this library is loaded, so a test can bound what one run allocates
// (a count: allocator churn fragments the heap, and the process's RSS grows with it).
#include <cerrno>
#include <cstddef>
#include <cstdint>

extern "C" {

void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* ptr, size_t size);
void* __libc_memalign(size_t alignment, size_t size);

namespace {
// Relaxed: a total, read between runs; the order of increments does not matter.
uint64_t calls = 0;
void Count() { __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED); }
}  // namespace

__attribute__((visibility("default"))) uint64_t trtnMallocCalls() { return __atomic_load_n(&calls, __ATOMIC_RELAXED); }

__attribute__((visibility("default"))) void* malloc(size_t size) {
  Count();
  return __libc_malloc(size);
}

__attribute__((visibility("default"))) void* calloc(size_t count, size_t size) {
  Count();
  return __libc_calloc(count, size);
}

__attribute__((visibility("default"))) void* realloc(void* ptr, size_t size) {
  Count();
  return __libc_realloc(ptr, size);
}

__attribute__((visibility("default"))) void* memalign(size_t alignment, size_t size) {
  Count();
  return __libc_memalign(alignment, size);
}

__attribute__((visibility("default"))) void* aligned_alloc(size_t alignment, size_t size) {
  Count();
  return __libc_memalign(alignment, size);
}

__attribute__((visibility("default"))) int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  Count();
  void* ptr = __libc_memalign(alignment, size);
  if (ptr == nullptr) return ENOMEM;
  *out = ptr;
  return 0;
}

}  // extern "C"
