// The simulator's timing cache: the tactic chosen for each layer signature (op, input types and
// shapes) a build has timed, in a blob of the simulator's own format ("TSTC", version, entries,
// CRC-32). Builds look up each layer per profile: a hit skips timing, a miss times and records.
#pragma once

#include <NvInfer.h>

#include <cstdint>
#include <map>
#include <string>

namespace trtsim {

class TimingCache final : public nvinfer1::ITimingCache {
 public:
  TimingCache() = default;
  // False (cache left empty) when the blob is not a valid simulator timing cache.
  bool load(const void* blob, std::size_t size, std::string& error);

  nvinfer1::IHostMemory* serialize() const noexcept override;
  bool combine(const nvinfer1::ITimingCache& inputCache, bool ignoreMismatch) noexcept override;
  bool reset() noexcept override {
    entries_.clear();
    return true;
  }

  // The cached tactic for `key`, or false.
  bool find(const std::string& key, uint64_t& tactic) const;
  void add(const std::string& key, uint64_t tactic) { entries_[key] = tactic; }
  std::size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, uint64_t> entries_;
};

}  // namespace trtsim
