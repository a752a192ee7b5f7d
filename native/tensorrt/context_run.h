// One run() of an execution context, set up in steps on the JS thread: select the profile, set
// input shapes and the values of shape tensors kept on the host, bind every I/O tensor (arena
// blocks, host blocks, an input's block for an output updated in place, output allocators for
// data-dependent outputs), provide TensorRT's device memory when the context manages it, check
// the inputs' sizes, then replay a cached CUDA graph, capture one on the libuv pool, or enqueue
// (on the libuv pool when TensorRT's enqueueV3 waits for the GPU). The promise settles through a
// stream callback once the work is done.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

#include "tensorrt/execution_context.h"

namespace trtn {

// `report` tells V8 about device memory the setup grew (called on the JS thread).
Napi::Value StartRun(Napi::Env env, const std::shared_ptr<ContextCore>& core, Napi::Array inputs, Napi::Array outputs, int32_t profile,
                     const std::function<void()>& report);

}  // namespace trtn
