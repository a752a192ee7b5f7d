// libnvinfer_lean of the simulator: a runtime library without the builder, as TensorRT's lean and
// dispatch runtimes are. It exports the version getters and the runtime factory only (forwarding
// to the simulated libnvinfer), so an application that needs no builder runs plans with it.
#include <NvInferRuntime.h>

extern "C" void* trtsimCreateRuntime(void* logger, int32_t version) noexcept;
extern "C" int32_t trtsimLibraryVersion() noexcept;

extern "C" TENSORRTAPI int32_t getInferLibVersion() noexcept { return trtsimLibraryVersion(); }

extern "C" TENSORRTAPI void* createInferRuntime_INTERNAL(void* logger, int32_t version) noexcept { return trtsimCreateRuntime(logger, version); }
