// TensorRT's IProgressMonitor for one build: forwards phase starts, steps and finishes to a sink
// (the build job posts them to JS) and answers stepComplete with false once the build is
// cancelled, which is how TensorRT lets an application stop a build.
#pragma once

#include <NvInfer.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace trtn {

struct BuildProgressEvent {
  enum class Kind { kStart, kStep, kFinish };
  Kind kind;
  std::string phase;
  std::string parent;  // empty for a top-level phase
  int32_t value;       // kStart: number of steps; kStep: the completed step's index; kFinish: unused
};

class BuildProgressMonitor final : public nvinfer1::IProgressMonitor {
 public:
  using Sink = std::function<void(BuildProgressEvent)>;
  BuildProgressMonitor(Sink sink, std::shared_ptr<std::atomic<bool>> cancelled)
      : sink_(std::move(sink)), cancelled_(std::move(cancelled)) {}

  void phaseStart(const char* phaseName, const char* parentPhase, int32_t nbSteps) noexcept override;
  bool stepComplete(const char* phaseName, int32_t step) noexcept override;
  void phaseFinish(const char* phaseName) noexcept override;

 private:
  Sink sink_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

}  // namespace trtn
