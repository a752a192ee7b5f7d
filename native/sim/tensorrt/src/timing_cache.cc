#include "timing_cache.h"

#include "builder.h"
#include "plan.h"

#include <cstring>
#include <vector>

namespace trtsim {

namespace {

const char kTag[4] = {'T', 'S', 'T', 'C'};
constexpr uint32_t kVersion = 1;

void put(std::vector<uint8_t>& out, const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

}  // namespace

bool TimingCache::load(const void* blob, std::size_t size, std::string& error) {
  entries_.clear();
  if (blob == nullptr || size == 0) return true;
  const uint8_t* p = static_cast<const uint8_t*>(blob);
  if (size < 16 || std::memcmp(p, kTag, 4) != 0) {
    error = "the blob is not a timing cache";
    return false;
  }
  uint32_t version, count, crc;
  std::memcpy(&version, p + 4, 4);
  std::memcpy(&count, p + 8, 4);
  std::memcpy(&crc, p + size - 4, 4);
  if (version != kVersion) {
    error = "timing cache version " + std::to_string(version) + " is not supported";
    return false;
  }
  if (crc32(p, size - 4) != crc) {
    error = "the timing cache's checksum does not match";
    return false;
  }
  size_t at = 12, end = size - 4;
  std::map<std::string, uint64_t> entries;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t length;
    if (end - at < 4) break;
    std::memcpy(&length, p + at, 4);
    at += 4;
    if (end - at < static_cast<size_t>(length) + 8) break;
    std::string key(reinterpret_cast<const char*>(p + at), length);
    at += length;
    uint64_t tactic;
    std::memcpy(&tactic, p + at, 8);
    at += 8;
    entries[key] = tactic;
  }
  if (entries.size() != count || at != end) {
    error = "the timing cache is malformed";
    return false;
  }
  entries_ = std::move(entries);
  return true;
}

nvinfer1::IHostMemory* TimingCache::serialize() const noexcept {
  try {
    std::vector<uint8_t> out;
    put(out, kTag, 4);
    uint32_t version = kVersion, count = static_cast<uint32_t>(entries_.size());
    put(out, &version, 4);
    put(out, &count, 4);
    for (const auto& [key, tactic] : entries_) {
      uint32_t length = static_cast<uint32_t>(key.size());
      put(out, &length, 4);
      put(out, key.data(), key.size());
      put(out, &tactic, 8);
    }
    uint32_t crc = crc32(out.data(), out.size());
    put(out, &crc, 4);
    return new HostMemory(std::move(out));
  } catch (...) {
    return nullptr;
  }
}

bool TimingCache::combine(const nvinfer1::ITimingCache& inputCache, bool) noexcept {
  auto* other = dynamic_cast<const TimingCache*>(&inputCache);
  if (!other) return false;
  for (const auto& [key, tactic] : other->entries_) entries_.emplace(key, tactic);
  return true;
}

bool TimingCache::find(const std::string& key, uint64_t& tactic) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  tactic = it->second;
  return true;
}

}  // namespace trtsim
