// Stream capture and CUDA graphs: a capture records the operations submitted to the stream (copies,
// host functions, event records) in order; a graph is that list, an instantiated graph a copy of it
// that cudaGraphLaunch submits to a stream as one unit, every launch replaying the same operations
// on the same addresses, as a GPU replays a graph's kernels and copies.
#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <vector>

#include "sim_state.h"
#include "stream.h"

struct CUgraph_st {
  std::vector<std::function<void()>> ops;
};

struct CUgraphExec_st {
  std::shared_ptr<const std::vector<std::function<void()>>> ops;
};

using namespace trtn::cudasim;

cudaError_t CUDARTAPI cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode) {
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  if (mode != cudaStreamCaptureModeGlobal && mode != cudaStreamCaptureModeThreadLocal && mode != cudaStreamCaptureModeRelaxed) {
    return finish(cudaErrorInvalidValue);
  }
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  return finish(streams().begin_capture(impl));
}

cudaError_t CUDARTAPI cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* pGraph) {
  if (pGraph == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  auto graph = std::make_unique<CUgraph_st>();
  cudaError_t status = streams().end_capture(impl, graph->ops);
  *pGraph = nullptr;
  if (status != cudaSuccess) return finish(status);
  *pGraph = graph.release();
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaStreamIsCapturing(cudaStream_t stream, enum cudaStreamCaptureStatus* pCaptureStatus) {
  if (pCaptureStatus == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  *pCaptureStatus = streams().capturing(impl) ? cudaStreamCaptureStatusActive : cudaStreamCaptureStatusNone;
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaGraphInstantiate(cudaGraphExec_t* pGraphExec, cudaGraph_t graph, unsigned long long flags) {
  if (pGraphExec == nullptr || graph == nullptr || flags != 0) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  *pGraphExec = new CUgraphExec_st{std::make_shared<const std::vector<std::function<void()>>>(graph->ops)};
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaGraphLaunch(cudaGraphExec_t graphExec, cudaStream_t stream) {
  if (graphExec == nullptr) return finish(cudaErrorInvalidValue);
  if (cudaError_t e = check_context(); e != cudaSuccess) return finish(e);
  auto impl = streams().resolve(stream);
  if (!impl) return finish(cudaErrorInvalidResourceHandle);
  // The launch holds the operations: destroying the graph while it runs is safe, as in CUDA.
  streams().submit(impl, [ops = graphExec->ops] {
    for (const auto& op : *ops) op();
  });
  return cudaSuccess;
}

cudaError_t CUDARTAPI cudaGraphExecDestroy(cudaGraphExec_t graphExec) {
  if (cudaError_t e = check_context_to_release(); e != cudaSuccess) return finish(e);
  if (graphExec == nullptr) return finish(cudaErrorInvalidValue);
  delete graphExec;
  return finish(sticky_error());
}

cudaError_t CUDARTAPI cudaGraphDestroy(cudaGraph_t graph) {
  if (cudaError_t e = check_context_to_release(); e != cudaSuccess) return finish(e);
  if (graph == nullptr) return finish(cudaErrorInvalidValue);
  delete graph;
  return finish(sticky_error());
}
