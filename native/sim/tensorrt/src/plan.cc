#include "plan.h"

#include <cuda_runtime_api.h>

#include <cstring>
#include <stdexcept>

namespace trtsim {

namespace {

const char kMagic[4] = {'f', 't', 'r', 't'};
const char kSimTag[4] = {'N', 'S', 'I', 'M'};

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) { raw(&v, 4); }
  void i64(int64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void shape(const Shape& s) {
    u32(static_cast<uint32_t>(s.size()));
    for (int64_t d : s) i64(d);
  }
  void raw(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  std::vector<uint8_t> out;
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  uint8_t u8() {
    need(1);
    return *p_++;
  }
  uint32_t u32() {
    uint32_t v;
    copy(&v, 4);
    return v;
  }
  int64_t i64() {
    int64_t v;
    copy(&v, 8);
    return v;
  }
  double f64() {
    double v;
    copy(&v, 8);
    return v;
  }
  std::string str() {
    uint32_t n = u32();
    need(n);
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  Shape shape() {
    uint32_t n = u32();
    if (n > 8) throw std::runtime_error("shape rank out of range");
    Shape s(n);
    for (auto& d : s) d = i64();
    return s;
  }
  uint32_t count(size_t limit) {
    uint32_t n = u32();
    if (n > limit) throw std::runtime_error("count out of range");
    return n;
  }
  std::vector<uint8_t> bytes() {
    uint32_t n = u32();
    need(n);
    std::vector<uint8_t> v(p_, p_ + n);
    p_ += n;
    return v;
  }
  bool done() const { return p_ == end_; }

 private:
  void need(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) throw std::runtime_error("payload ends early");
  }
  void copy(void* dst, size_t n) {
    need(n);
    std::memcpy(dst, p_, n);
    p_ += n;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

void writeGraph(Writer& w, const Graph& g) {
  w.str(g.name);
  w.i64(g.opset);
  w.u32(static_cast<uint32_t>(g.tensors.size()));
  for (const TensorInfo& t : g.tensors) {
    w.str(t.name);
    w.u32(static_cast<uint32_t>(t.type));
    w.shape(t.dims);
    w.u8(t.constant ? 1 : 0);
    w.u32(static_cast<uint32_t>(t.bytes.size()));
    w.raw(t.bytes.data(), t.bytes.size());
  }
  w.u32(static_cast<uint32_t>(g.nodes.size()));
  for (const Node& n : g.nodes) {
    w.str(n.op);
    w.str(n.name);
    w.u32(static_cast<uint32_t>(n.inputs.size()));
    for (int i : n.inputs) w.i64(i);
    w.u32(static_cast<uint32_t>(n.outputs.size()));
    for (int o : n.outputs) w.i64(o);
    w.u32(static_cast<uint32_t>(n.attrs.size()));
    for (const auto& [key, a] : n.attrs) {
      w.str(key);
      w.u8(static_cast<uint8_t>(a.kind));
      w.f64(a.f);
      w.i64(a.i);
      w.str(a.s);
      w.u32(static_cast<uint32_t>(a.floats.size()));
      for (double f : a.floats) w.f64(f);
      w.u32(static_cast<uint32_t>(a.ints.size()));
      for (int64_t i : a.ints) w.i64(i);
    }
  }
  w.u32(static_cast<uint32_t>(g.inputs.size()));
  for (int i : g.inputs) w.i64(i);
  w.u32(static_cast<uint32_t>(g.outputs.size()));
  for (int o : g.outputs) w.i64(o);
}

int tensorIndex(Reader& r, size_t tensorCount, bool optional) {
  int64_t i = r.i64();
  if ((optional && i == -1)) return -1;
  if (i < 0 || static_cast<size_t>(i) >= tensorCount) throw std::runtime_error("tensor index out of range");
  return static_cast<int>(i);
}

Graph readGraph(Reader& r) {
  Graph g;
  g.name = r.str();
  g.opset = r.i64();
  uint32_t tensors = r.count(1u << 20);
  for (uint32_t i = 0; i < tensors; ++i) {
    TensorInfo t;
    t.name = r.str();
    uint32_t type = r.u32();
    if (type > static_cast<uint32_t>(DataType::kE8M0)) throw std::runtime_error("unknown data type");
    t.type = static_cast<DataType>(type);
    t.dims = r.shape();
    t.constant = r.u8() != 0;
    t.bytes = r.bytes();
    if (t.constant && t.bytes.size() != static_cast<size_t>(volume(t.dims)) * elementSize(t.type)) {
      throw std::runtime_error("constant size does not match its shape");
    }
    g.tensors.push_back(std::move(t));
  }
  uint32_t nodes = r.count(1u << 20);
  for (uint32_t i = 0; i < nodes; ++i) {
    Node n;
    n.op = r.str();
    n.name = r.str();
    uint32_t ins = r.count(64);
    for (uint32_t k = 0; k < ins; ++k) n.inputs.push_back(tensorIndex(r, g.tensors.size(), true));
    uint32_t outs = r.count(64);
    for (uint32_t k = 0; k < outs; ++k) n.outputs.push_back(tensorIndex(r, g.tensors.size(), false));
    uint32_t attrs = r.count(256);
    for (uint32_t k = 0; k < attrs; ++k) {
      std::string key = r.str();
      Attribute a;
      a.kind = static_cast<Attribute::Kind>(r.u8());
      a.f = r.f64();
      a.i = r.i64();
      a.s = r.str();
      uint32_t nf = r.count(1u << 16);
      for (uint32_t j = 0; j < nf; ++j) a.floats.push_back(r.f64());
      uint32_t ni = r.count(1u << 16);
      for (uint32_t j = 0; j < ni; ++j) a.ints.push_back(r.i64());
      n.attrs[key] = std::move(a);
    }
    g.nodes.push_back(std::move(n));
  }
  uint32_t ins = r.count(1024);
  for (uint32_t k = 0; k < ins; ++k) g.inputs.push_back(tensorIndex(r, g.tensors.size(), false));
  uint32_t outs = r.count(1024);
  for (uint32_t k = 0; k < outs; ++k) g.outputs.push_back(tensorIndex(r, g.tensors.size(), false));
  return g;
}

// What the runtime's accessors index by (I/O entries, profiles per input, memory per profile)
// must agree, as TensorRT's deserializer asserts before it hands out an engine.
void checkConsistent(const EngineDesc& e) {
  size_t inputs = 0;
  for (const IOTensor& t : e.io) {
    if (t.mode != nvinfer1::TensorIOMode::kINPUT && t.mode != nvinfer1::TensorIOMode::kOUTPUT)
      throw std::runtime_error("I/O tensor mode out of range");
    if (static_cast<uint32_t>(t.type) > static_cast<uint32_t>(DataType::kE8M0)) throw std::runtime_error("I/O tensor type out of range");
    if (t.mode == nvinfer1::TensorIOMode::kINPUT) ++inputs;
  }
  for (size_t i = 0; i < inputs; ++i) {
    if (e.io[i].mode != nvinfer1::TensorIOMode::kINPUT) throw std::runtime_error("inputs must come first among the I/O tensors");
  }
  for (const ProfileRanges& p : e.profiles) {
    if (p.min.size() != inputs || p.opt.size() != inputs || p.max.size() != inputs)
      throw std::runtime_error("profile does not cover every input");
    for (size_t i = 0; i < inputs; ++i) {
      size_t rank = e.io[i].dims.size();
      if (p.min[i].size() != rank || p.opt[i].size() != rank || p.max[i].size() != rank)
        throw std::runtime_error("profile shape rank does not match its input");
    }
  }
  if (e.deviceMemory.size() != e.profiles.size()) throw std::runtime_error("device memory sizes do not match the profiles");
  for (int64_t bytes : e.deviceMemory) {
    if (bytes < 0) throw std::runtime_error("negative device memory size");
  }
}

void writeBuildRecord(Writer& w, const BuildRecord& b) {
  w.u32(b.flags);
  w.i64(static_cast<int64_t>(b.workspace));
  w.i64(b.optimizationLevel);
  w.i64(b.hardwareCompatibility);
  w.i64(b.maxAuxStreams);
  w.i64(b.timingCacheHits);
  w.i64(b.timingCacheMisses);
  w.i64(b.sparseLayers);
  w.u32(static_cast<uint32_t>(b.plugins.size()));
  for (const std::string& p : b.plugins) w.str(p);
}

BuildRecord readBuildRecord(Reader& r) {
  BuildRecord b;
  b.flags = r.u32();
  b.workspace = static_cast<uint64_t>(r.i64());
  b.optimizationLevel = static_cast<int32_t>(r.i64());
  b.hardwareCompatibility = static_cast<int32_t>(r.i64());
  b.maxAuxStreams = static_cast<int32_t>(r.i64());
  b.timingCacheHits = static_cast<int32_t>(r.i64());
  b.timingCacheMisses = static_cast<int32_t>(r.i64());
  b.sparseLayers = static_cast<int32_t>(r.i64());
  uint32_t plugins = r.count(1024);
  for (uint32_t i = 0; i < plugins; ++i) b.plugins.push_back(r.str());
  return b;
}

}  // namespace

bool currentComputeCapability(uint8_t compute[2]) {
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess) {
    return false;
  }
  compute[0] = static_cast<uint8_t>(major);
  compute[1] = static_cast<uint8_t>(minor);
  return true;
}

uint32_t crc32(const uint8_t* data, size_t size) {
  static uint32_t table[256];
  static bool ready = [] {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return true;
  }();
  (void)ready;
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

std::vector<uint8_t> writePlan(const EngineDesc& e) {
  Writer body;
  body.str(e.name);
  writeGraph(body, e.graph);
  body.u32(static_cast<uint32_t>(e.io.size()));
  for (const IOTensor& t : e.io) {
    body.str(t.name);
    body.u32(static_cast<uint32_t>(t.mode));
    body.u32(static_cast<uint32_t>(t.type));
    body.shape(t.dims);
    body.i64(t.tensor);
  }
  body.u32(static_cast<uint32_t>(e.profiles.size()));
  for (const ProfileRanges& p : e.profiles) {
    body.u32(static_cast<uint32_t>(p.min.size()));
    for (size_t i = 0; i < p.min.size(); ++i) {
      body.shape(p.min[i]);
      body.shape(p.opt[i]);
      body.shape(p.max[i]);
    }
  }
  body.u32(static_cast<uint32_t>(e.deviceMemory.size()));
  for (int64_t m : e.deviceMemory) body.i64(m);
  writeBuildRecord(body, e.build);

  uint8_t compute[2] = {e.compute[0], e.compute[1]};
  if (compute[0] == 0) currentComputeCapability(compute);
  Writer plan;
  plan.raw(kMagic, 4);
  plan.u32(kSerializationVersion);
  plan.raw(kSimTag, 4);
  plan.u32(kPlanFormatVersion);
  plan.i64(static_cast<int64_t>(body.out.size()));
  plan.raw(e.version, 4);
  plan.u32(e.hostCode ? kPlanFlagHostCode : 0);
  plan.u32(crc32(body.out.data(), body.out.size()));
  plan.raw(compute, 2);
  plan.u8(0);
  plan.u8(0);
  plan.raw(body.out.data(), body.out.size());
  return plan.out;
}

PlanProblem readPlanHeader(const void* data, size_t size, PlanHeader& h) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  if (!data || size < kPlanHeaderSize) return PlanProblem::kTooSmall;
  if (std::memcmp(p, kMagic, 4) != 0) return PlanProblem::kBadMagic;
  std::memcpy(&h.serializationVersion, p + 4, 4);
  if (h.serializationVersion != kSerializationVersion) return PlanProblem::kSerializationVersion;
  std::memcpy(&h.formatVersion, p + 12, 4);
  std::memcpy(&h.payloadSize, p + 16, 8);
  std::memcpy(h.version, p + 24, 4);
  std::memcpy(&h.flags, p + 28, 4);
  std::memcpy(&h.crc, p + 32, 4);
  std::memcpy(h.compute, p + 36, 2);
  if (std::memcmp(p + 8, kSimTag, 4) != 0) return PlanProblem::kMalformed;
  if (h.formatVersion != kPlanFormatVersion) return PlanProblem::kMalformed;
  return PlanProblem::kNone;
}

PlanProblem readPlanPayload(const void* data, size_t size, const PlanHeader& h, EngineDesc& e, std::string& detail) {
  const uint8_t* payload = static_cast<const uint8_t*>(data) + kPlanHeaderSize;
  size_t available = size - kPlanHeaderSize;
  if (h.payloadSize != available) {
    detail = "plan holds " + std::to_string(available) + " payload bytes, its header announces " + std::to_string(h.payloadSize);
    return PlanProblem::kTruncated;
  }
  if (crc32(payload, available) != h.crc) {
    detail = "payload checksum does not match";
    return PlanProblem::kChecksum;
  }
  try {
    Reader r(payload, available);
    e.name = r.str();
    e.graph = readGraph(r);
    uint32_t io = r.count(1024);
    for (uint32_t i = 0; i < io; ++i) {
      IOTensor t;
      t.name = r.str();
      t.mode = static_cast<nvinfer1::TensorIOMode>(r.u32());
      t.type = static_cast<DataType>(r.u32());
      t.dims = r.shape();
      t.tensor = tensorIndex(r, e.graph.tensors.size(), false);
      e.io.push_back(std::move(t));
    }
    uint32_t profiles = r.count(1024);
    for (uint32_t i = 0; i < profiles; ++i) {
      ProfileRanges p;
      uint32_t n = r.count(1024);
      for (uint32_t k = 0; k < n; ++k) {
        p.min.push_back(r.shape());
        p.opt.push_back(r.shape());
        p.max.push_back(r.shape());
      }
      e.profiles.push_back(std::move(p));
    }
    uint32_t mem = r.count(1024);
    for (uint32_t i = 0; i < mem; ++i) e.deviceMemory.push_back(r.i64());
    e.build = readBuildRecord(r);
    if (!r.done()) throw std::runtime_error("trailing bytes after the engine description");
    checkConsistent(e);
    e.hostCode = (h.flags & kPlanFlagHostCode) != 0;
    std::memcpy(e.version, h.version, 4);
    std::memcpy(e.compute, h.compute, 2);
  } catch (const std::exception& ex) {
    detail = ex.what();
    return PlanProblem::kMalformed;
  }
  return PlanProblem::kNone;
}

}  // namespace trtsim
