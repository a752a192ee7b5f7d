#include "tensorrt/context_graphs.h"

#include "cuda/pinned_buffer.h"

#include <algorithm>

namespace trtn {

std::shared_ptr<GraphEntry> GraphCache::Find(const std::string& key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first != key) continue;
    entries_.splice(entries_.begin(), entries_, it);
    return entries_.front().second;
  }
  return nullptr;
}

void GraphCache::Insert(const std::string& key, std::shared_ptr<GraphEntry> entry) {
  entries_.remove_if([&](const auto& item) { return item.first == key; });
  entries_.emplace_front(key, std::move(entry));
  while (entries_.size() > kCapacity) entries_.pop_back();
}

std::vector<std::shared_ptr<GraphEntry>> GraphCache::Take() {
  std::vector<std::shared_ptr<GraphEntry>> taken;
  for (auto& item : entries_) taken.push_back(std::move(item.second));
  entries_.clear();
  return taken;
}

namespace {

std::shared_ptr<PinnedMemory> PinnedBlock(size_t bytes) {
  auto block = std::make_shared<PinnedMemory>();
  if (cudaHostAlloc(&block->ptr, std::max<size_t>(bytes, 1), cudaHostAllocPortable) != cudaSuccess) {
    cudaGetLastError();
    block->ptr = nullptr;
    return nullptr;
  }
  block->bytes = bytes;
  return block;
}

}  // namespace

bool AllocateGraphBlocks(GraphEntry& entry, const std::vector<GraphCopy>& uploads, const std::vector<GraphCopy>& downloads) {
  for (const GraphCopy& copy : uploads) {
    entry.inputs.push_back(PinnedBlock(copy.bytes));
    if (!entry.inputs.back()) return false;
  }
  for (const GraphCopy& copy : downloads) {
    entry.outputs.push_back(PinnedBlock(copy.bytes));
    if (!entry.outputs.back()) return false;
  }
  return true;
}

bool EnqueueGraphWork(nvinfer1::IExecutionContext& context, cudaStream_t stream, const GraphEntry& entry,
                      const std::vector<GraphCopy>& uploads, const std::vector<GraphCopy>& downloads, cudaError_t& status) {
  status = cudaSuccess;
  for (size_t k = 0; k < uploads.size() && status == cudaSuccess; ++k) {
    if (uploads[k].bytes == 0) continue;
    status = cudaMemcpyAsync(uploads[k].device, entry.inputs[k]->ptr, uploads[k].bytes, cudaMemcpyHostToDevice, stream);
  }
  if (status != cudaSuccess) return false;
  if (!context.enqueueV3(stream)) return false;
  for (size_t j = 0; j < downloads.size() && status == cudaSuccess; ++j) {
    if (downloads[j].bytes == 0) continue;
    status = cudaMemcpyAsync(entry.outputs[j]->ptr, downloads[j].device, downloads[j].bytes, cudaMemcpyDeviceToHost, stream);
  }
  return status == cudaSuccess;
}

bool CaptureGraphWork(nvinfer1::IExecutionContext& context, cudaStream_t stream, GraphEntry& entry, const std::vector<GraphCopy>& uploads,
                      const std::vector<GraphCopy>& downloads) {
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  cudaError_t status = cudaSuccess;
  bool ok = EnqueueGraphWork(context, stream, entry, uploads, downloads, status);
  cudaGraph_t captured = nullptr;
  ok = cudaStreamEndCapture(stream, &captured) == cudaSuccess && ok;
  OwnedHandle<cudaGraph_t> graph(captured);
  cudaGraphExec_t exec = nullptr;
  ok = ok && cudaGraphInstantiate(&exec, graph.get(), 0) == cudaSuccess;
  OwnedHandle<cudaGraphExec_t> instantiated(exec);
  cudaGetLastError();
  if (ok) entry.exec = std::move(instantiated);
  return ok;
}

}  // namespace trtn
