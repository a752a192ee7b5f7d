// CUDA availability and device queries for JS: cudaInfo() never throws (it is how `backends()`
// explains why CUDA is unavailable); devices() and memoryInfo() throw ERR_CUDA.
#pragma once

#include <napi.h>

namespace trtn {

void InitDevices(Napi::Env env, Napi::Object exports);

}  // namespace trtn
