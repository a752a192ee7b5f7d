#include "builder.h"

#include "library_version.h"
#include "log.h"
#include "network.h"
#include "ops.h"
#include "plugin_registry.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace trtsim {

namespace {
const char* selectorName(int s) { return s == 0 ? "kMIN" : s == 1 ? "kOPT" : "kMAX"; }

const char* kBuildPhase = "Building engine";
const char* kTacticPhase = "Tactic selection";

bool isZero(const TensorInfo& t, size_t i) {
  if (t.type == DataType::kFLOAT) {
    float v;
    std::memcpy(&v, t.bytes.data() + 4 * i, 4);
    return v == 0.0f;
  }
  uint16_t bits;
  std::memcpy(&bits, t.bytes.data() + 2 * i, 2);
  return (bits & 0x7fff) == 0;
}

// 2:4 structured sparsity: along the reduction axis, every group of four weights holds at least
// two zeros (the pattern sparse tensor cores need). Only float and half weights qualify.
bool hasTwoFourPattern(const TensorInfo& w, size_t axis) {
  if (!w.constant || (w.type != DataType::kFLOAT && w.type != DataType::kHALF && w.type != DataType::kBF16)) return false;
  if (axis >= w.dims.size() || w.dims[axis] % 4 != 0 || w.dims[axis] == 0) return false;
  size_t inner = 1;
  for (size_t d = axis + 1; d < w.dims.size(); ++d) inner *= static_cast<size_t>(w.dims[d]);
  size_t length = static_cast<size_t>(w.dims[axis]);
  size_t outer = static_cast<size_t>(volume(w.dims)) / (inner * length);
  for (size_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < inner; ++i) {
      for (size_t g = 0; g < length; g += 4) {
        int zeros = 0;
        for (size_t k = g; k < g + 4; ++k) zeros += isZero(w, (o * length + k) * inner + i) ? 1 : 0;
        if (zeros < 2) return false;
      }
    }
  }
  return true;
}

// Layers whose weights a sparse-weights build runs as 2:4 sparse.
int32_t sparseLayerCount(const Graph& graph) {
  int32_t count = 0;
  for (const Node& node : graph.nodes) {
    if (node.inputs.size() < 2 || node.inputs[1] < 0) continue;
    const TensorInfo& w = graph.tensors[static_cast<size_t>(node.inputs[1])];
    size_t axis;
    if (node.op == "Conv")
      axis = 1;
    else if (node.op == "Gemm")
      axis = node.intAttr("transB", 0) ? 1 : 0;
    else if (node.op == "MatMul" && w.dims.size() >= 2)
      axis = w.dims.size() - 2;
    else
      continue;
    if (hasTwoFourPattern(w, axis)) ++count;
  }
  return count;
}
}  // namespace

bool OptimizationProfile::setDimensions(const char* inputName, nvinfer1::OptProfileSelector select, const nvinfer1::Dims& dims) noexcept {
  if (!inputName || dims.nbDims < 0 || dims.nbDims > nvinfer1::Dims::MAX_DIMS) {
    logError(logger_, ErrorKind::kApiUsage, "IOptimizationProfile::setDimensions", "invalid tensor name or rank");
    return false;
  }
  for (int32_t i = 0; i < dims.nbDims; ++i) {
    if (dims.d[i] < 0) {
      logError(logger_, ErrorKind::kApiUsage, "IOptimizationProfile::setDimensions",
               std::string("dimensions of ") + inputName + " must be non-negative, got " + formatShape(fromDims(dims)));
      return false;
    }
  }
  int s = static_cast<int>(select);
  if (s < 0 || s > 2) return false;
  Entry& entry = entries_[inputName];
  entry.dims[s] = fromDims(dims);
  entry.set[s] = true;
  return true;
}

nvinfer1::Dims OptimizationProfile::getDimensions(const char* inputName, nvinfer1::OptProfileSelector select) const noexcept {
  nvinfer1::Dims none{};
  none.nbDims = -1;
  auto it = inputName ? entries_.find(inputName) : entries_.end();
  int s = static_cast<int>(select);
  if (it == entries_.end() || s < 0 || s > 2 || !it->second.set[s]) return none;
  return toDims(it->second.dims[s]);
}

bool OptimizationProfile::setShapeValuesV2(const char* inputName, nvinfer1::OptProfileSelector select, const int64_t* values,
                                           int32_t nbValues) noexcept {
  const char* where = "IOptimizationProfile::setShapeValuesV2";
  int s = static_cast<int>(select);
  if (!inputName || !values || nbValues < 1 || s < 0 || s > 2) {
    logError(logger_, ErrorKind::kApiUsage, where, "invalid tensor name, values or number of values (at least 1)");
    return false;
  }
  Entry& entry = entries_[inputName];
  for (int other = 0; other < 3; ++other) {
    if (entry.valuesSet[other] && entry.values[other].size() != static_cast<size_t>(nbValues)) {
      logError(logger_, ErrorKind::kApiUsage, where,
               std::string("nbValues for ") + inputName + " is " + std::to_string(nbValues) + " but an earlier call gave " +
                   std::to_string(entry.values[other].size()));
      return false;
    }
  }
  entry.values[s].assign(values, values + nbValues);
  entry.valuesSet[s] = true;
  return true;
}

int32_t OptimizationProfile::getNbShapeValues(const char* inputName) const noexcept {
  auto it = inputName ? entries_.find(inputName) : entries_.end();
  if (it == entries_.end()) return -1;
  for (int s = 0; s < 3; ++s) {
    if (it->second.valuesSet[s]) return static_cast<int32_t>(it->second.values[s].size());
  }
  return -1;
}

const int64_t* OptimizationProfile::getShapeValuesV2(const char* inputName, nvinfer1::OptProfileSelector select) const noexcept {
  auto it = inputName ? entries_.find(inputName) : entries_.end();
  int s = static_cast<int>(select);
  if (it == entries_.end() || s < 0 || s > 2 || !it->second.valuesSet[s]) return nullptr;
  return it->second.values[s].data();
}

std::string OptimizationProfile::problem() const {
  for (const auto& [name, e] : entries_) {
    for (int s = 0; s < 3 && e.hasValues(); ++s) {
      if (!e.valuesSet[s]) return "input " + name + " has no " + selectorName(s) + " shape values";
    }
    for (size_t i = 0; e.hasValues() && i < e.values[0].size(); ++i) {
      if (!(e.values[0][i] <= e.values[1][i] && e.values[1][i] <= e.values[2][i])) {
        return "input " + name + ": shape value " + std::to_string(i) + " violates kMIN <= kOPT <= kMAX (" +
               std::to_string(e.values[0][i]) + ", " + std::to_string(e.values[1][i]) + ", " + std::to_string(e.values[2][i]) + ")";
      }
    }
    if (!e.hasDims()) continue;
    for (int s = 0; s < 3; ++s) {
      if (!e.set[s]) return "input " + name + " has no " + selectorName(s) + " dimensions";
    }
    if (e.dims[0].size() != e.dims[1].size() || e.dims[1].size() != e.dims[2].size()) {
      return "input " + name + ": kMIN, kOPT and kMAX have different ranks";
    }
    for (size_t i = 0; i < e.dims[0].size(); ++i) {
      if (!(e.dims[0][i] <= e.dims[1][i] && e.dims[1][i] <= e.dims[2][i])) {
        return "input " + name + ": dimension " + std::to_string(i) + " violates kMIN <= kOPT <= kMAX (" + formatShape(e.dims[0]) + ", " +
               formatShape(e.dims[1]) + ", " + formatShape(e.dims[2]) + ")";
      }
    }
  }
  return "";
}

bool OptimizationProfile::isValid() const noexcept { return !entries_.empty() && problem().empty(); }

void BuilderConfig::setBuilderOptimizationLevel(int32_t level) noexcept {
  if (level < 0 || level > 5) {
    logError(logger_, ErrorKind::kApiUsage, "IBuilderConfig::setBuilderOptimizationLevel",
             "Parameter check failed, condition: level >= 0 && level <= 5, got " + std::to_string(level));
    return;
  }
  level_ = level;
}

bool BuilderConfig::setMaxAuxStreams(int32_t nbStreams) noexcept {
  if (nbStreams < 0) {
    logError(logger_, ErrorKind::kApiUsage, "IBuilderConfig::setMaxAuxStreams", "Parameter check failed, condition: nbStreams >= 0");
    return false;
  }
  auxStreams_ = nbStreams;
  return true;
}

nvinfer1::ITimingCache* BuilderConfig::createTimingCache(const void* blob, std::size_t size) const noexcept {
  auto* cache = new (std::nothrow) TimingCache();
  if (!cache) return nullptr;
  std::string error;
  if (!cache->load(blob, size, error)) {
    delete cache;
    logError(logger_, ErrorKind::kSerialization, "IBuilderConfig::createTimingCache", error);
    return nullptr;
  }
  return cache;
}

bool BuilderConfig::setTimingCache(const nvinfer1::ITimingCache& cache, bool) noexcept {
  auto* ours = dynamic_cast<const TimingCache*>(&cache);
  if (!ours) {
    logError(logger_, ErrorKind::kApiUsage, "IBuilderConfig::setTimingCache", "the cache was not created by this library");
    return false;
  }
  timingCache_ = const_cast<TimingCache*>(ours);
  return true;
}

std::size_t BuilderConfig::getMemoryPoolLimit(nvinfer1::MemoryPoolType pool) const noexcept {
  auto it = pools_.find(static_cast<int>(pool));
  return it == pools_.end() ? (std::size_t{1} << 32) : it->second;
}

int32_t BuilderConfig::addOptimizationProfile(const nvinfer1::IOptimizationProfile* profile) noexcept {
  auto* p = dynamic_cast<const OptimizationProfile*>(profile);
  if (!p) {
    logError(logger_, ErrorKind::kApiUsage, "IBuilderConfig::addOptimizationProfile", "profile is null");
    return -1;
  }
  std::string why = p->entries().empty() ? "the profile sets no dimensions" : p->problem();
  if (!why.empty()) {
    logError(logger_, ErrorKind::kApiUsage, "IBuilderConfig::addOptimizationProfile",
             "Parameter check failed, condition: profile->isValid(). " + why);
    return -1;
  }
  profiles_.push_back(p->entries());
  return static_cast<int32_t>(profiles_.size() - 1);
}

nvinfer1::IPluginRegistry& Builder::getPluginRegistry() noexcept {
  PluginRegistry& registry = PluginRegistry::instance();
  registry.setLogger(logger_);
  return registry;
}

Builder::~Builder() {
  for (OptimizationProfile* p : profiles_) delete p;
}

nvinfer1::IBuilderConfig* Builder::createBuilderConfig() noexcept { return new (std::nothrow) BuilderConfig(logger_); }

nvinfer1::INetworkDefinition* Builder::createNetworkV2(nvinfer1::NetworkDefinitionCreationFlags flags) noexcept {
  return new (std::nothrow) Network(*this, flags);
}

nvinfer1::IOptimizationProfile* Builder::createOptimizationProfile() noexcept {
  auto* p = new (std::nothrow) OptimizationProfile(logger_);
  if (p) profiles_.push_back(p);
  return p;
}

bool shapesFor(const Graph& graph, const std::vector<Shape>& inputDims, std::vector<Shape>& shapes, std::string& error) {
  shapes.assign(graph.tensors.size(), Shape{});
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (graph.tensors[t].constant) shapes[t] = graph.tensors[t].dims;
  }
  for (size_t i = 0; i < graph.inputs.size(); ++i) shapes[static_cast<size_t>(graph.inputs[i])] = inputDims[i];
  for (const Node& node : graph.nodes) {
    std::vector<Shape> in, out;
    for (int t : node.inputs) in.push_back(t >= 0 ? shapes[static_cast<size_t>(t)] : Shape{});
    if (!inferShapes(graph, node, in, out, error)) {
      error = node.name + " (" + node.op + "): " + error;
      return false;
    }
    for (size_t o = 0; o < node.outputs.size(); ++o) shapes[static_cast<size_t>(node.outputs[o])] = out[o];
  }
  return true;
}

int64_t activationBytes(const Graph& graph, const std::vector<Shape>& inputDims, std::string& error) {
  std::vector<Shape> shapes;
  if (!shapesFor(graph, inputDims, shapes, error)) return -1;
  int64_t total = 0;
  for (const Node& node : graph.nodes) {
    for (int o : node.outputs) {
      if (std::find(graph.outputs.begin(), graph.outputs.end(), o) != graph.outputs.end()) continue;
      int64_t count = volume(shapes[static_cast<size_t>(o)]);
      int64_t bytes = count * static_cast<int64_t>(elementSize(graph.tensors[static_cast<size_t>(o)].type));
      total += (bytes + 255) / 256 * 256;  // device allocations are 256-byte aligned
    }
  }
  return total;
}

bool Builder::build(Network& network, BuilderConfig& config, EngineDesc& engine) const {
  const Graph& graph = network.graph();
  const char* where = "IBuilder::buildSerializedNetwork";
  if (!network.parsed() || graph.outputs.empty()) {
    logError(logger_, ErrorKind::kConfig, where, "Network must have at least one output");
    return false;
  }
  bool dynamic = false;
  for (int in : graph.inputs) {
    const Shape& dims = graph.tensors[static_cast<size_t>(in)].dims;
    if (std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d < 0; })) dynamic = true;
    if (isShapeInput(graph, in)) dynamic = true;
  }
  auto profiles = config.profiles();
  if (profiles.empty()) {
    if (dynamic) {
      logError(logger_, ErrorKind::kConfig, where, "Network has dynamic or shape inputs, but no optimization profile has been defined.");
      return false;
    }
    profiles.emplace_back();
  }
  for (const auto& profile : profiles) {
    for (const auto& entry : profile) {
      int index = graph.find(entry.first);
      if (index < 0 || std::find(graph.inputs.begin(), graph.inputs.end(), index) == graph.inputs.end()) {
        logError(logger_, ErrorKind::kConfig, where, "optimization profile names " + entry.first + ", which is not a network input");
        return false;
      }
    }
  }
  nvinfer1::IProgressMonitor* monitor = config.getProgressMonitor();
  if (monitor) monitor->phaseStart(kBuildPhase, nullptr, 2);

  engine.name = graph.name;
  engine.graph = graph;
  for (int in : graph.inputs) {
    const TensorInfo& t = graph.tensors[static_cast<size_t>(in)];
    engine.io.push_back({t.name, nvinfer1::TensorIOMode::kINPUT, t.type, t.dims, in});
  }
  for (int out : graph.outputs) {
    const TensorInfo& t = graph.tensors[static_cast<size_t>(out)];
    engine.io.push_back({t.name, nvinfer1::TensorIOMode::kOUTPUT, t.type, t.dims, out});
  }

  for (size_t p = 0; p < profiles.size(); ++p) {
    ProfileRanges ranges;
    for (int in : graph.inputs) {
      const TensorInfo& t = graph.tensors[static_cast<size_t>(in)];
      auto it = profiles[p].find(t.name);
      bool inputDynamic = std::any_of(t.dims.begin(), t.dims.end(), [](int64_t d) { return d < 0; });
      if (isShapeInput(graph, in)) {
        // TensorRT builds for the range of a shape tensor's values as it does for dims: no values, no build.
        if (it == profiles[p].end() || !it->second.hasValues()) {
          logError(logger_, ErrorKind::kConfig, where,
                   t.name + ": shape input tensor has no shape values in profile " + std::to_string(p) +
                       " (IOptimizationProfile::setShapeValuesV2 for kMIN, kOPT and kMAX).");
          return false;
        }
        const Shape& own = it->second.hasDims() ? it->second.dims[1] : t.dims;
        int64_t count = volume(own);
        if (count >= 0 && static_cast<int64_t>(it->second.values[0].size()) != count) {
          logError(logger_, ErrorKind::kConfig, where,
                   t.name + ": profile " + std::to_string(p) + " gives " + std::to_string(it->second.values[0].size()) +
                       " shape values but the shape tensor holds " + std::to_string(count));
          return false;
        }
      }
      if (it == profiles[p].end() || !it->second.hasDims()) {
        if (inputDynamic) {
          logError(logger_, ErrorKind::kConfig, where,
                   t.name + ": dynamic input is missing dimensions in profile " + std::to_string(p) + ".");
          return false;
        }
        ranges.min.push_back(t.dims);
        ranges.opt.push_back(t.dims);
        ranges.max.push_back(t.dims);
        continue;
      }
      const auto& e = it->second;
      if (e.dims[0].size() != t.dims.size()) {
        logError(logger_, ErrorKind::kConfig, where,
                 t.name + ": profile " + std::to_string(p) + " has rank " + std::to_string(e.dims[0].size()) +
                     " but the network input has rank " + std::to_string(t.dims.size()));
        return false;
      }
      for (size_t d = 0; d < t.dims.size(); ++d) {
        if (t.dims[d] < 0) continue;
        for (int s = 0; s < 3; ++s) {
          if (e.dims[s][d] != t.dims[d]) {
            logError(logger_, ErrorKind::kConfig, where,
                     t.name + ": profile " + std::to_string(p) + " " + selectorName(s) + " dimension " + std::to_string(d) + " is " +
                         std::to_string(e.dims[s][d]) + " but the network fixes it to " + std::to_string(t.dims[d]));
            return false;
          }
        }
      }
      ranges.min.push_back(e.dims[0]);
      ranges.opt.push_back(e.dims[1]);
      ranges.max.push_back(e.dims[2]);
    }
    std::string error;
    std::vector<Shape> ignored;
    for (const auto* dims : {&ranges.min, &ranges.opt, &ranges.max}) {
      if (!shapesFor(graph, *dims, ignored, error)) {
        logError(logger_, ErrorKind::kConfig, where, "profile " + std::to_string(p) + " gives invalid shapes: " + error);
        return false;
      }
    }
    int64_t bytes = activationBytes(graph, ranges.max, error);
    engine.deviceMemory.push_back(bytes);
    engine.profiles.push_back(std::move(ranges));
  }

  BuildRecord& record = engine.build;
  // Without a cache from the application the build still reuses timings within itself.
  TimingCache local;
  bool useCache = config.timingCache() && !config.getFlag(nvinfer1::BuilderFlag::kDISABLE_TIMING_CACHE);
  TimingCache& cache = useCache ? *config.timingCache() : local;
  if (monitor) monitor->phaseStart(kTacticPhase, kBuildPhase, static_cast<int32_t>(engine.profiles.size() * graph.nodes.size()));
  for (size_t p = 0; p < engine.profiles.size(); ++p) {
    if (!selectTactics(graph, engine.profiles[p], p, engine.profiles.size(), config, cache, record)) {
      monitor->phaseFinish(kTacticPhase);
      monitor->phaseFinish(kBuildPhase);
      logError(logger_, ErrorKind::kInternal, where, "Build was cancelled by the progress monitor.");
      return false;
    }
  }
  if (monitor) monitor->phaseFinish(kTacticPhase);
  if (monitor && !monitor->stepComplete(kBuildPhase, 0)) {
    monitor->phaseFinish(kBuildPhase);
    logError(logger_, ErrorKind::kInternal, where, "Build was cancelled by the progress monitor.");
    return false;
  }
  record.flags = config.getFlags();
  record.workspace = config.getMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE);
  record.optimizationLevel = config.getBuilderOptimizationLevel();
  record.hardwareCompatibility = static_cast<int32_t>(config.getHardwareCompatibilityLevel());
  record.maxAuxStreams = config.getMaxAuxStreams();
  record.sparseLayers = config.getFlag(nvinfer1::BuilderFlag::kSPARSE_WEIGHTS) ? sparseLayerCount(graph) : 0;
  record.plugins = PluginRegistry::instance().loaded();
  if (monitor) {
    bool go = monitor->stepComplete(kBuildPhase, 1);
    monitor->phaseFinish(kBuildPhase);
    if (!go) {
      logError(logger_, ErrorKind::kInternal, where, "Build was cancelled by the progress monitor.");
      return false;
    }
  }
  engine.hostCode =
      config.getFlag(nvinfer1::BuilderFlag::kVERSION_COMPATIBLE) && !config.getFlag(nvinfer1::BuilderFlag::kEXCLUDE_LEAN_RUNTIME);
  const LibraryVersion& version = libraryVersion();
  engine.version[0] = version.major;
  engine.version[1] = version.minor;
  engine.version[2] = version.patch;
  engine.version[3] = version.build;
  return true;
}

bool Builder::selectTactics(const Graph& graph, const ProfileRanges& ranges, size_t profile, size_t, BuilderConfig& config,
                            TimingCache& cache, BuildRecord& record) const {
  std::vector<Shape> shapes;
  std::string error;
  if (!shapesFor(graph, ranges.opt, shapes, error)) shapes.assign(graph.tensors.size(), Shape{});
  nvinfer1::IProgressMonitor* monitor = config.getProgressMonitor();
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    // A layer's timing depends on what it computes and on the types and shapes it reads.
    std::string key = node.op;
    for (int t : node.inputs) {
      key += "|";
      if (t < 0) continue;
      key +=
          std::to_string(static_cast<int>(graph.tensors[static_cast<size_t>(t)].type)) + ":" + formatShape(shapes[static_cast<size_t>(t)]);
    }
    for (const auto& [name, a] : node.attrs) key += "|" + name + "=" + std::to_string(a.i) + "," + std::to_string(a.f) + "," + a.s;
    uint64_t tactic;
    if (cache.find(key, tactic)) {
      ++record.timingCacheHits;
    } else {
      ++record.timingCacheMisses;
      cache.add(key, std::hash<std::string>()(key));
    }
    if (monitor && !monitor->stepComplete(kTacticPhase, static_cast<int32_t>(profile * graph.nodes.size() + n))) return false;
  }
  return true;
}

nvinfer1::IHostMemory* Builder::buildSerializedNetwork(nvinfer1::INetworkDefinition& network, nvinfer1::IBuilderConfig& config) noexcept {
  try {
    auto* net = dynamic_cast<Network*>(&network);
    auto* cfg = dynamic_cast<BuilderConfig*>(&config);
    if (!net || !cfg) {
      logError(logger_, ErrorKind::kApiUsage, "IBuilder::buildSerializedNetwork", "network or config was not created by this library");
      return nullptr;
    }
    EngineDesc engine;
    if (!build(*net, *cfg, engine)) return nullptr;
    logMessage(logger_, Severity::kINFO,
               "Engine built: " + std::to_string(engine.profiles.size()) + " optimization profile(s), " +
                   std::to_string(engine.graph.nodes.size()) + " layers");
    return new HostMemory(writePlan(engine));
  } catch (const std::exception& e) {
    logError(logger_, ErrorKind::kInternal, "IBuilder::buildSerializedNetwork", e.what());
    return nullptr;
  }
}

bool Builder::isNetworkSupported(const nvinfer1::INetworkDefinition& network, const nvinfer1::IBuilderConfig&) const noexcept {
  auto* net = dynamic_cast<const Network*>(&network);
  return net && net->parsed();
}

}  // namespace trtsim
