// Owned<T>: the one way tensorrt-node owns a TensorRT object or a CUDA graph handle. TensorRT's
// interfaces have public virtual destructors (10.x and 11.x: `delete` is how they are released);
// CUDA graphs are released through their destroy calls. A unique_ptr whose deleter knows which.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <type_traits>

namespace trtn {

template <typename T>
struct Release {
  void operator()(T* object) const { delete object; }
};

// cudaGraph_t: a captured graph, needed only until it is instantiated.
template <>
struct Release<CUgraph_st> {
  void operator()(CUgraph_st* graph) const { cudaGraphDestroy(graph); }
};

// cudaGraphExec_t: CUDA frees an executable graph that is still running once it is done.
template <>
struct Release<CUgraphExec_st> {
  void operator()(CUgraphExec_st* exec) const { cudaGraphExecDestroy(exec); }
};

template <typename T>
using Owned = std::unique_ptr<T, Release<T>>;

// Owned<T> for a handle type spelled as CUDA spells it (cudaGraph_t, cudaGraphExec_t).
template <typename Handle>
using OwnedHandle = Owned<std::remove_pointer_t<Handle>>;

}  // namespace trtn
