// CUDA graphs of an execution context's runs (cudaGraph: true). A graph holds the run's input
// copies from pinned blocks of its own, enqueueV3 and the output copies into pinned blocks, and
// replays them with the addresses and the TensorRT state it was captured with. TensorRT's state
// is what the context's last uncaptured enqueueV3 set up (a profile switch takes effect there), so
// every graph goes stale when the context runs uncaptured or switches profiles: the cache is then
// cleared. Within one profile a context keeps a few graphs, one per key (input shapes, requested
// outputs, arena addresses), so alternating shapes replay without recapturing.
#pragma once

#include <NvInferRuntime.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensorrt/owned.h"

namespace trtn {

struct PinnedMemory;

struct GraphEntry {
  OwnedHandle<cudaGraphExec_t> exec;
  std::vector<std::shared_ptr<PinnedMemory>> inputs;   // in the order of the run's inputs
  std::vector<std::shared_ptr<PinnedMemory>> outputs;  // in the order of the requested outputs
};

class GraphCache {
 public:
  static constexpr size_t kCapacity = 4;

  // The graph for `key`, made the most recently used; nullptr when there is none.
  std::shared_ptr<GraphEntry> Find(const std::string& key);
  // Adds a graph, dropping the least recently used one beyond kCapacity.
  void Insert(const std::string& key, std::shared_ptr<GraphEntry> entry);
  void Clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }
  // Hands every graph over (to be destroyed before the context they replay).
  std::vector<std::shared_ptr<GraphEntry>> Take();

 private:
  std::list<std::pair<std::string, std::shared_ptr<GraphEntry>>> entries_;
};

// One device copy of a run: `device` is the tensor's arena block, `bytes` its size.
struct GraphCopy {
  void* device;
  size_t bytes;
};

// Allocates the entry's pinned blocks for these copies; false when pinned memory runs out.
bool AllocateGraphBlocks(GraphEntry& entry, const std::vector<GraphCopy>& uploads, const std::vector<GraphCopy>& downloads);

// Enqueues the run's work on `stream` through the entry's pinned blocks: input copies, enqueueV3,
// output copies. False when CUDA or TensorRT refuse (the CUDA error, if any, in `status`).
bool EnqueueGraphWork(nvinfer1::IExecutionContext& context, cudaStream_t stream, const GraphEntry& entry,
                      const std::vector<GraphCopy>& uploads, const std::vector<GraphCopy>& downloads, cudaError_t& status);

// Captures that work into entry.exec. The stream must be idle: TensorRT captures only after an
// uncaptured enqueueV3 of the same profile has finished (NVIDIA's samples synchronise there too).
// False, with the capture abandoned and the stream usable, when anything refuses.
bool CaptureGraphWork(nvinfer1::IExecutionContext& context, cudaStream_t stream, GraphEntry& entry, const std::vector<GraphCopy>& uploads,
                      const std::vector<GraphCopy>& downloads);

}  // namespace trtn
