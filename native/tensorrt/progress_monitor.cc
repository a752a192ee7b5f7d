#include "tensorrt/progress_monitor.h"

#ifdef TRTN_SIMULATOR
#include "testing/build_gate.h"
#endif

namespace trtn {

namespace {
std::string Text(const char* s) { return s ? s : ""; }
}  // namespace

void BuildProgressMonitor::phaseStart(const char* phaseName, const char* parentPhase, int32_t nbSteps) noexcept {
  try {
    sink_({BuildProgressEvent::Kind::kStart, Text(phaseName), Text(parentPhase), nbSteps});
  } catch (...) {
    // Progress is informative; losing an event (out of memory) must not fail the build.
  }
}

bool BuildProgressMonitor::stepComplete(const char* phaseName, int32_t step) noexcept {
  try {
    sink_({BuildProgressEvent::Kind::kStep, Text(phaseName), "", step});
  } catch (...) {
  }
#ifdef TRTN_SIMULATOR
  WaitAtBuildGate(*cancelled_);
#endif
  return !cancelled_->load();
}

void BuildProgressMonitor::phaseFinish(const char* phaseName) noexcept {
  try {
    sink_({BuildProgressEvent::Kind::kFinish, Text(phaseName), "", 0});
  } catch (...) {
  }
}

}  // namespace trtn
