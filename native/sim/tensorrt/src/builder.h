// Builder stand-in: optimization profiles validated the way TensorRT validates them, and a build
// that checks the network against every profile and serializes the simulator's plan.
#pragma once

#include "plan.h"
#include "timing_cache.h"

#include <NvInfer.h>

#include <map>
#include <string>
#include <vector>

namespace trtsim {

class HostMemory final : public nvinfer1::IHostMemory {
 public:
  explicit HostMemory(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  void* data() const noexcept override { return const_cast<uint8_t*>(bytes_.data()); }
  std::size_t size() const noexcept override { return bytes_.size(); }
  nvinfer1::DataType type() const noexcept override { return nvinfer1::DataType::kUINT8; }

 private:
  std::vector<uint8_t> bytes_;
};

class OptimizationProfile final : public nvinfer1::IOptimizationProfile {
 public:
  struct Entry {
    Shape dims[3];
    bool set[3] = {false, false, false};
    // A shape tensor input's values (setShapeValuesV2), row-major.
    std::vector<int64_t> values[3];
    bool valuesSet[3] = {false, false, false};
    bool hasDims() const { return set[0] || set[1] || set[2]; }
    bool hasValues() const { return valuesSet[0] || valuesSet[1] || valuesSet[2]; }
  };
  explicit OptimizationProfile(nvinfer1::ILogger* logger) : logger_(logger) {}
  bool setDimensions(const char* inputName, nvinfer1::OptProfileSelector select, const nvinfer1::Dims& dims) noexcept override;
  nvinfer1::Dims getDimensions(const char* inputName, nvinfer1::OptProfileSelector select) const noexcept override;
  bool setShapeValuesV2(const char* inputName, nvinfer1::OptProfileSelector select, const int64_t* values,
                        int32_t nbValues) noexcept override;
  int32_t getNbShapeValues(const char* inputName) const noexcept override;
  const int64_t* getShapeValuesV2(const char* inputName, nvinfer1::OptProfileSelector select) const noexcept override;
  bool isValid() const noexcept override;
  // Why the profile is invalid, empty when it is valid.
  std::string problem() const;
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  nvinfer1::ILogger* logger_;
  std::map<std::string, Entry> entries_;
};

class BuilderConfig final : public nvinfer1::IBuilderConfig {
 public:
  explicit BuilderConfig(nvinfer1::ILogger* logger) : logger_(logger) {}
  void setFlags(nvinfer1::BuilderFlags flags) noexcept override { flags_ = flags; }
  nvinfer1::BuilderFlags getFlags() const noexcept override { return flags_; }
  void setFlag(nvinfer1::BuilderFlag flag) noexcept override { flags_ |= 1U << static_cast<uint32_t>(flag); }
  void clearFlag(nvinfer1::BuilderFlag flag) noexcept override { flags_ &= ~(1U << static_cast<uint32_t>(flag)); }
  bool getFlag(nvinfer1::BuilderFlag flag) const noexcept override { return (flags_ & (1U << static_cast<uint32_t>(flag))) != 0; }
  void setMemoryPoolLimit(nvinfer1::MemoryPoolType pool, std::size_t size) noexcept override { pools_[static_cast<int>(pool)] = size; }
  std::size_t getMemoryPoolLimit(nvinfer1::MemoryPoolType pool) const noexcept override;
  int32_t addOptimizationProfile(const nvinfer1::IOptimizationProfile* profile) noexcept override;
  int32_t getNbOptimizationProfiles() const noexcept override { return static_cast<int32_t>(profiles_.size()); }
  void setBuilderOptimizationLevel(int32_t level) noexcept override;
  int32_t getBuilderOptimizationLevel() noexcept override { return level_; }
  void setHardwareCompatibilityLevel(nvinfer1::HardwareCompatibilityLevel level) noexcept override { hardware_ = level; }
  nvinfer1::HardwareCompatibilityLevel getHardwareCompatibilityLevel() const noexcept override { return hardware_; }
  void setProgressMonitor(nvinfer1::IProgressMonitor* monitor) noexcept override { monitor_ = monitor; }
  nvinfer1::IProgressMonitor* getProgressMonitor() const noexcept override { return monitor_; }
  nvinfer1::ITimingCache* createTimingCache(const void* blob, std::size_t size) const noexcept override;
  bool setTimingCache(const nvinfer1::ITimingCache& cache, bool ignoreMismatch) noexcept override;
  const nvinfer1::ITimingCache* getTimingCache() const noexcept override { return timingCache_; }
  bool setMaxAuxStreams(int32_t nbStreams) noexcept override;
  int32_t getMaxAuxStreams() const noexcept override { return auxStreams_; }
  TimingCache* timingCache() const { return timingCache_; }

  const std::vector<std::map<std::string, OptimizationProfile::Entry>>& profiles() const { return profiles_; }

 private:
  nvinfer1::ILogger* logger_;
  nvinfer1::BuilderFlags flags_ = 0;
  std::map<int, std::size_t> pools_;
  std::vector<std::map<std::string, OptimizationProfile::Entry>> profiles_;
  int32_t level_ = 3;
  nvinfer1::HardwareCompatibilityLevel hardware_ = nvinfer1::HardwareCompatibilityLevel::kNONE;
  nvinfer1::IProgressMonitor* monitor_ = nullptr;
  TimingCache* timingCache_ = nullptr;  // not owned
  int32_t auxStreams_ = -1;
};

class Builder final : public nvinfer1::IBuilder {
 public:
  explicit Builder(nvinfer1::ILogger* logger) : logger_(logger) {}
  nvinfer1::IBuilderConfig* createBuilderConfig() noexcept override;
  nvinfer1::INetworkDefinition* createNetworkV2(nvinfer1::NetworkDefinitionCreationFlags flags) noexcept override;
  nvinfer1::IOptimizationProfile* createOptimizationProfile() noexcept override;
  nvinfer1::IHostMemory* buildSerializedNetwork(nvinfer1::INetworkDefinition& network, nvinfer1::IBuilderConfig& config) noexcept override;
  bool isNetworkSupported(const nvinfer1::INetworkDefinition& network, const nvinfer1::IBuilderConfig& config) const noexcept override;
  nvinfer1::ILogger* getLogger() const noexcept override { return logger_; }
  bool setMaxThreads(int32_t n) noexcept override {
    threads_ = n;
    return n > 0;
  }
  int32_t getMaxThreads() const noexcept override { return threads_; }
  int32_t getNbDLACores() const noexcept override { return 0; }
  void reset() noexcept override {}
  nvinfer1::IPluginRegistry& getPluginRegistry() noexcept override;

  ~Builder() override;

 private:
  bool build(class Network& network, BuilderConfig& config, EngineDesc& engine) const;
  bool selectTactics(const Graph& graph, const ProfileRanges& ranges, size_t profile, size_t profiles, BuilderConfig& config,
                     TimingCache& cache, BuildRecord& record) const;

  nvinfer1::ILogger* logger_;
  int32_t threads_ = 1;
  // Profiles handed out by createOptimizationProfile live as long as the builder, as in TensorRT.
  std::vector<OptimizationProfile*> profiles_;
};

// Activation memory an engine needs for one set of input shapes: every intermediate tensor.
int64_t activationBytes(const Graph& graph, const std::vector<Shape>& inputDims, std::string& error);

// Shapes of every tensor for concrete or partially known input dims; false with the reason.
bool shapesFor(const Graph& graph, const std::vector<Shape>& inputDims, std::vector<Shape>& shapes, std::string& error);

}  // namespace trtsim
