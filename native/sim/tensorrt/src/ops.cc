#include "ops.h"

#include "plugin_registry.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace trtsim {

namespace {

const std::vector<std::string> kOps = {"Identity", "Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "MatMul", "Gemm", "Softmax",
                                       "Reshape", "Flatten", "Transpose", "Conv", "Cast", "QuantizeLinear", "DequantizeLinear", "NonZero",
                                       // TensorRT's KVCacheUpdate layer (in-place cache update: its output aliases the cache input).
                                       "KVCacheUpdate"};

bool isUnaryFloat(const std::string& op) { return op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Softmax"; }
bool isBinary(const std::string& op) { return op == "Add" || op == "Sub" || op == "Mul" || op == "Div"; }

int64_t normalizeAxis(int64_t axis, size_t rank) { return axis < 0 ? axis + static_cast<int64_t>(rank) : axis; }

bool broadcast(const Shape& a, const Shape& b, Shape& out) {
  size_t n = std::max(a.size(), b.size());
  out.assign(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da == db)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else if (db == 1)
      out[i] = da;
    else if (da == -1)
      out[i] = db;
    else if (db == -1)
      out[i] = da;
    else
      return false;
  }
  return true;
}

std::vector<int64_t> stridesOf(const Shape& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

// Offsets into `in` (broadcast to `out`) for every element of `out`, in row-major order.
std::vector<int64_t> broadcastOffsets(const Shape& in, const Shape& out) {
  size_t rank = out.size();
  Shape padded(rank - in.size(), 1);
  padded.insert(padded.end(), in.begin(), in.end());
  std::vector<int64_t> inStrides = stridesOf(padded);
  for (size_t i = 0; i < rank; ++i)
    if (padded[i] == 1) inStrides[i] = 0;
  int64_t total = volume(out);
  std::vector<int64_t> offsets(static_cast<size_t>(total));
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (int64_t linear = 0; linear < total; ++linear) {
    offsets[static_cast<size_t>(linear)] = offset;
    for (size_t axis = rank; axis-- > 0;) {
      ++index[axis];
      offset += inStrides[axis];
      if (index[axis] < out[axis]) break;
      offset -= inStrides[axis] * index[axis];
      index[axis] = 0;
    }
  }
  return offsets;
}

bool constantInts(const Graph& graph, int tensor, std::vector<int64_t>& out) {
  if (tensor < 0) return false;
  const TensorInfo& info = graph.tensors[static_cast<size_t>(tensor)];
  if (!info.constant) return false;
  Value v = decode(info.type, info.dims, info.bytes.data());
  out.clear();
  for (double x : v.data) out.push_back(static_cast<int64_t>(x));
  return true;
}

std::vector<int64_t> intsAttr(const Node& node, const std::string& key, std::vector<int64_t> fallback) {
  const Attribute* a = node.attr(key);
  return a ? a->ints : fallback;
}

DataType onnxToType(int64_t onnx, bool& ok) {
  ok = true;
  switch (onnx) {
    case 1:
      return DataType::kFLOAT;
    case 2:
      return DataType::kUINT8;
    case 3:
      return DataType::kINT8;
    case 6:
      return DataType::kINT32;
    case 7:
      return DataType::kINT64;
    case 9:
      return DataType::kBOOL;
    case 10:
      return DataType::kHALF;
    case 16:
      return DataType::kBF16;
    default:
      ok = false;
      return DataType::kFLOAT;
  }
}

struct ConvGeometry {
  int64_t kernel[2] = {1, 1}, stride[2] = {1, 1}, dilation[2] = {1, 1}, padBegin[2] = {0, 0}, padEnd[2] = {0, 0};
  int64_t out[2] = {1, 1};
};

// Spatial geometry of a 1-D or 2-D convolution; outputs -1 for unknown input extents.
bool convGeometry(const Node& node, const Shape& x, const Shape& w, ConvGeometry& g, std::string& error) {
  size_t spatial = x.size() - 2;
  std::vector<int64_t> strides = intsAttr(node, "strides", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> dilations = intsAttr(node, "dilations", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> pads = intsAttr(node, "pads", std::vector<int64_t>(2 * spatial, 0));
  std::string autoPad = node.attr("auto_pad") ? node.attr("auto_pad")->s : "NOTSET";
  if (strides.size() != spatial || dilations.size() != spatial || pads.size() != 2 * spatial) {
    error = "strides, dilations and pads must match the " + std::to_string(spatial) + " spatial dimensions";
    return false;
  }
  size_t offset = 2 - spatial;  // a 1-D convolution uses the second slot only
  for (size_t i = 0; i < spatial; ++i) {
    size_t s = offset + i;
    g.kernel[s] = w[2 + i];
    g.stride[s] = strides[i];
    g.dilation[s] = dilations[i];
    int64_t in = x[2 + i];
    int64_t effective = g.dilation[s] * (g.kernel[s] - 1) + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      if (in < 0) {
        g.out[s] = -1;
        continue;
      }
      g.out[s] = (in + g.stride[s] - 1) / g.stride[s];
      int64_t total = std::max<int64_t>(0, (g.out[s] - 1) * g.stride[s] + effective - in);
      g.padBegin[s] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.padEnd[s] = total - g.padBegin[s];
    } else {
      if (autoPad == "NOTSET") {
        g.padBegin[s] = pads[i];
        g.padEnd[s] = pads[spatial + i];
      } else if (autoPad != "VALID") {
        error = "unknown auto_pad " + autoPad;
        return false;
      }
      if (in < 0) {
        g.out[s] = -1;
        continue;
      }
      g.out[s] = (in + g.padBegin[s] + g.padEnd[s] - effective) / g.stride[s] + 1;
      if (g.out[s] <= 0) {
        error = "kernel larger than the padded input";
        return false;
      }
    }
  }
  return true;
}

double roundHalfEven(double x) { return x - std::floor(x) == 0.5 ? 2 * std::round(x / 2) : std::round(x); }

}  // namespace

const std::vector<std::string>& supportedOps() { return kOps; }

bool isSupportedOp(const std::string& op) { return std::find(kOps.begin(), kOps.end(), op) != kOps.end(); }

bool inferTypes(const Graph& graph, const Node& node, std::vector<DataType>& outTypes, std::string& error) {
  if (findPlugin(node.op) != nullptr) return pluginInferTypes(graph, node, outTypes, error);
  auto typeOf = [&](size_t i) { return graph.tensors[static_cast<size_t>(node.inputs[i])].type; };
  auto has = [&](size_t i) { return i < node.inputs.size() && node.inputs[i] >= 0; };
  const std::string& op = node.op;
  size_t minInputs = op == "Identity" || isUnaryFloat(op) || op == "Flatten" || op == "Transpose" || op == "Cast" || op == "NonZero" ? 1
                     : op == "KVCacheUpdate"                                                                                         ? 3
                                                                                                                                     : 2;
  for (size_t i = 0; i < minInputs; ++i) {
    if (!has(i)) {
      error = op + " needs input " + std::to_string(i);
      return false;
    }
  }
  if (node.outputs.size() != 1) {
    error = op + " must have exactly one output";
    return false;
  }
  DataType t0 = typeOf(0);
  DataType out = t0;
  if (isUnaryFloat(op) || op == "MatMul" || op == "Gemm" || op == "Conv") {
    if (!isFloatType(t0)) {
      error = op + " needs a floating-point input but received " + std::string(typeName(t0));
      return false;
    }
    for (size_t i = 1; i < node.inputs.size(); ++i) {
      if (has(i) && typeOf(i) != t0) {
        error = "strongly typed network: " + op + " inputs must share one type, got " + typeName(t0) + " and " + typeName(typeOf(i));
        return false;
      }
    }
  } else if (isBinary(op)) {
    if (typeOf(1) != t0) {
      error = "strongly typed network: " + op + " inputs must share one type, got " + typeName(t0) + " and " + typeName(typeOf(1));
      return false;
    }
    if (t0 == DataType::kBOOL || t0 == DataType::kINT8 || t0 == DataType::kUINT8) {
      error = op + " does not support " + std::string(typeName(t0)) + " inputs";
      return false;
    }
  } else if (op == "Reshape") {
    if (typeOf(1) != DataType::kINT64) {
      error = "Reshape's shape input must be INT64";
      return false;
    }
    std::vector<int64_t> target;
    bool fromInput = std::find(graph.inputs.begin(), graph.inputs.end(), node.inputs[1]) != graph.inputs.end();
    if (!constantInts(graph, node.inputs[1], target) && !fromInput) {
      error = "Reshape's shape input must be a constant (initializer or Constant node) or a network input";
      return false;
    }
    const Shape& dims = graph.tensors[static_cast<size_t>(node.inputs[1])].dims;
    if (fromInput && (dims.size() != 1 || dims[0] < 0)) {
      error = "Reshape's shape input must have one dimension of fixed length, got " + formatShape(dims);
      return false;
    }
  } else if (op == "NonZero") {
    out = DataType::kINT64;
  } else if (op == "KVCacheUpdate") {
    // The output is the cache, updated in place: the cache must be memory the application binds
    // (a network input) and the output one it reads (a network output).
    bool cacheIsInput = std::find(graph.inputs.begin(), graph.inputs.end(), node.inputs[0]) != graph.inputs.end();
    bool outputIsOutput = std::find(graph.outputs.begin(), graph.outputs.end(), node.outputs[0]) != graph.outputs.end();
    if (!cacheIsInput || !outputIsOutput) {
      error = "KVCacheUpdate updates its cache in place: the cache must be a network input and the output a network output";
      return false;
    }
    if (!isFloatType(t0) || typeOf(1) != t0) {
      error = "KVCacheUpdate needs cache and update of one floating-point type";
      return false;
    }
    if (typeOf(2) != DataType::kINT32 && typeOf(2) != DataType::kINT64) {
      error = "KVCacheUpdate's writeIndices must be INT32 or INT64";
      return false;
    }
  } else if (op == "Cast") {
    const Attribute* to = node.attr("to");
    bool ok = false;
    if (to) out = onnxToType(to->i, ok);
    if (!ok) {
      error = "Cast to ONNX type " + std::to_string(to ? to->i : -1) + " is not supported";
      return false;
    }
  } else if (op == "QuantizeLinear") {
    if (!isFloatType(t0) || !isFloatType(typeOf(1))) {
      error = "QuantizeLinear needs floating-point input and scale";
      return false;
    }
    out = DataType::kINT8;
    if (has(2)) {
      if (typeOf(2) != DataType::kINT8) {
        error = std::string("QuantizeLinear: only INT8 quantization is supported, zero point has type ") + typeName(typeOf(2));
        return false;
      }
      std::vector<int64_t> zp;
      if (!constantInts(graph, node.inputs[2], zp) || std::any_of(zp.begin(), zp.end(), [](int64_t z) { return z != 0; })) {
        error = "QuantizeLinear: TensorRT supports symmetric quantization only; the zero point must be a constant of zeros";
        return false;
      }
    }
  } else if (op == "DequantizeLinear") {
    if (t0 != DataType::kINT8) {
      error = std::string("DequantizeLinear: only INT8 input is supported, got ") + typeName(t0);
      return false;
    }
    if (!isFloatType(typeOf(1))) {
      error = "DequantizeLinear needs a floating-point scale";
      return false;
    }
    out = typeOf(1);
    if (has(2)) {
      std::vector<int64_t> zp;
      if (!constantInts(graph, node.inputs[2], zp) || std::any_of(zp.begin(), zp.end(), [](int64_t z) { return z != 0; })) {
        error = "DequantizeLinear: TensorRT supports symmetric quantization only; the zero point must be a constant of zeros";
        return false;
      }
    }
  }
  outTypes.assign(1, out);
  return true;
}

bool inferShapes(const Graph& graph, const Node& node, const std::vector<Shape>& in, std::vector<Shape>& outShapes, std::string& error,
                 const std::vector<const Value*>* values) {
  const std::string& op = node.op;
  Shape out;
  if (findPlugin(op) != nullptr) {
    outShapes = {in[0]};
    return true;
  }
  if (op == "Identity" || op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Cast" || op == "QuantizeLinear" ||
      op == "DequantizeLinear") {
    out = in[0];
  } else if (op == "Softmax") {
    out = in[0];
    int64_t axis = normalizeAxis(node.intAttr("axis", graph.opset >= 13 ? -1 : 1), in[0].size());
    if (axis < 0 || axis >= static_cast<int64_t>(std::max<size_t>(in[0].size(), 1))) {
      error = "Softmax axis out of range";
      return false;
    }
  } else if (isBinary(op)) {
    if (!broadcast(in[0], in[1], out)) {
      error = "cannot broadcast " + formatShape(in[0]) + " with " + formatShape(in[1]);
      return false;
    }
  } else if (op == "MatMul") {
    Shape a = in[0], b = in[1];
    if (a.empty() || b.empty()) {
      error = "MatMul inputs must have rank 1 or more";
      return false;
    }
    bool vecA = a.size() == 1, vecB = b.size() == 1;
    if (vecA) a.insert(a.begin(), 1);
    if (vecB) b.push_back(1);
    int64_t k1 = a[a.size() - 1], k2 = b[b.size() - 2];
    if (k1 >= 0 && k2 >= 0 && k1 != k2) {
      error = "MatMul inner dimensions differ: " + formatShape(in[0]) + " x " + formatShape(in[1]);
      return false;
    }
    Shape batch;
    if (!broadcast(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2), batch)) {
      error = "MatMul batch dimensions do not broadcast";
      return false;
    }
    out = batch;
    if (!vecA) out.push_back(a[a.size() - 2]);
    if (!vecB) out.push_back(b[b.size() - 1]);
  } else if (op == "Gemm") {
    if (in[0].size() != 2 || in[1].size() != 2) {
      error = "Gemm inputs must be 2-D";
      return false;
    }
    bool ta = node.intAttr("transA", 0) != 0, tb = node.intAttr("transB", 0) != 0;
    int64_t m = ta ? in[0][1] : in[0][0], k1 = ta ? in[0][0] : in[0][1];
    int64_t k2 = tb ? in[1][1] : in[1][0], n = tb ? in[1][0] : in[1][1];
    if (k1 >= 0 && k2 >= 0 && k1 != k2) {
      error = "Gemm inner dimensions differ";
      return false;
    }
    out = {m, n};
    if (in.size() > 2 && !in[2].empty()) {
      Shape c;
      if (!broadcast(out, in[2], c) || c.size() != 2) {
        error = "Gemm C does not broadcast to [M, N]";
        return false;
      }
    }
  } else if (op == "Reshape") {
    std::vector<int64_t> target;
    if (!constantInts(graph, node.inputs[1], target)) {
      // A shape tensor fed by a network input: its values decide the shape, so without them
      // only the rank is known.
      const Value* value = values != nullptr && values->size() > 1 ? (*values)[1] : nullptr;
      if (value == nullptr) {
        outShapes.assign(1, Shape(static_cast<size_t>(std::max<int64_t>(in[1].empty() ? 0 : in[1][0], 0)), -1));
        return true;
      }
      for (double x : value->data) target.push_back(static_cast<int64_t>(x));
    }
    bool allowZero = node.intAttr("allowzero", 0) != 0;
    int64_t known = 1;
    int inferAt = -1;
    bool unknown = false;
    out.assign(target.size(), 0);
    for (size_t i = 0; i < target.size(); ++i) {
      int64_t t = target[i];
      if (t == 0 && !allowZero) {
        if (i >= in[0].size()) {
          error = "Reshape copies dimension " + std::to_string(i) + " that the input does not have";
          return false;
        }
        t = in[0][i];
      }
      if (t == -1 && target[i] == -1) {
        if (inferAt >= 0) {
          error = "Reshape target has more than one -1";
          return false;
        }
        inferAt = static_cast<int>(i);
        continue;
      }
      if (t < 0)
        unknown = true;
      else
        known *= t;
      out[i] = t;
    }
    int64_t total = volume(in[0]);
    if (inferAt >= 0) {
      out[static_cast<size_t>(inferAt)] = (total < 0 || unknown || known == 0) ? -1 : total / known;
      if (total >= 0 && !unknown && known != 0 && total % known != 0) {
        error = "cannot reshape " + formatShape(in[0]) + " to " + formatShape(target);
        return false;
      }
    } else if (total >= 0 && !unknown && total != known) {
      error = "cannot reshape " + formatShape(in[0]) + " to " + formatShape(target);
      return false;
    }
  } else if (op == "KVCacheUpdate") {
    const Shape& cache = in[0];
    const Shape& update = in[1];
    bool compatible = cache.size() == 4 && update.size() == 4 && in[2].size() == 1;
    for (size_t d : {size_t{0}, size_t{1}, size_t{3}}) {
      if (compatible && cache[d] >= 0 && update[d] >= 0 && cache[d] != update[d]) compatible = false;
    }
    if (!compatible) {
      error = "KVCacheUpdate needs cache [b, h, maxSeq, d], update [b, h, seq, d] and writeIndices [b], got " + formatShape(cache) + ", " +
              formatShape(update) + ", " + formatShape(in[2]);
      return false;
    }
    out = cache;
  } else if (op == "Flatten") {
    int64_t axis = normalizeAxis(node.intAttr("axis", 1), in[0].size());
    if (axis < 0 || axis > static_cast<int64_t>(in[0].size())) {
      error = "Flatten axis out of range";
      return false;
    }
    Shape head(in[0].begin(), in[0].begin() + axis), tail(in[0].begin() + axis, in[0].end());
    out = {volume(head), volume(tail)};
  } else if (op == "Transpose") {
    std::vector<int64_t> perm(in[0].size());
    std::iota(perm.rbegin(), perm.rend(), 0);
    perm = intsAttr(node, "perm", perm);
    if (perm.size() != in[0].size()) {
      error = "Transpose perm does not match the input rank";
      return false;
    }
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(in[0].size())) {
        error = "Transpose perm out of range";
        return false;
      }
      out.push_back(in[0][static_cast<size_t>(p)]);
    }
  } else if (op == "NonZero") {
    // Data-dependent: how many elements are non-zero is known only once the input is computed.
    out = {static_cast<int64_t>(in[0].size()), -1};
  } else if (op == "Conv") {
    const Shape& x = in[0];
    const Shape& w = in[1];
    if ((x.size() != 3 && x.size() != 4) || w.size() != x.size()) {
      error = "Conv supports 1-D and 2-D convolutions (NCW / NCHW) only";
      return false;
    }
    if (w[2] < 0 || (w.size() == 4 && w[3] < 0) || w[0] < 0 || w[1] < 0) {
      error = "Conv weights must have a static shape";
      return false;
    }
    int64_t group = node.intAttr("group", 1);
    if (x[1] >= 0 && x[1] != w[1] * group) {
      error = "Conv input has " + std::to_string(x[1]) + " channels but weights expect " + std::to_string(w[1] * group);
      return false;
    }
    ConvGeometry g;
    if (!convGeometry(node, x, w, g, error)) return false;
    out = {x[0], w[0]};
    if (x.size() == 4) out.push_back(g.out[0]);
    out.push_back(g.out[1]);
  } else {
    error = "unsupported operator " + op;
    return false;
  }
  outShapes.assign(1, out);
  return true;
}

namespace {

void runElementwise(const Node& node, const Value& a, const Value& b, Value& out) {
  broadcast(a.dims, b.dims, out.dims);
  std::vector<int64_t> oa = broadcastOffsets(a.dims, out.dims), ob = broadcastOffsets(b.dims, out.dims);
  out.data.resize(oa.size());
  bool integer = !isFloatType(out.type);
  const std::string& op = node.op;
  for (size_t i = 0; i < oa.size(); ++i) {
    double x = a.data[static_cast<size_t>(oa[i])], y = b.data[static_cast<size_t>(ob[i])];
    double r = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : (integer ? (y == 0 ? 0 : std::trunc(x / y)) : x / y);
    out.data[i] = narrow(out.type, r);
  }
}

void runMatMul(const Value& a0, const Value& b0, Value& out) {
  Shape a = a0.dims, b = b0.dims;
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA) a.insert(a.begin(), 1);
  if (vecB) b.push_back(1);
  int64_t m = a[a.size() - 2], k = a[a.size() - 1], n = b[b.size() - 1];
  Shape batchA(a.begin(), a.end() - 2), batchB(b.begin(), b.end() - 2), batch;
  broadcast(batchA, batchB, batch);
  std::vector<int64_t> offA = broadcastOffsets(batchA, batch), offB = broadcastOffsets(batchB, batch);
  out.dims = batch;
  if (!vecA) out.dims.push_back(m);
  if (!vecB) out.dims.push_back(n);
  out.data.assign(offA.size() * static_cast<size_t>(m * n), 0);
  for (size_t bi = 0; bi < offA.size(); ++bi) {
    const double* pa = a0.data.data() + offA[bi] * m * k;
    const double* pb = b0.data.data() + offB[bi] * k * n;
    double* po = out.data.data() + bi * static_cast<size_t>(m * n);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += pa[i * k + p] * pb[p * n + j];
        po[i * n + j] = narrow(out.type, sum);
      }
    }
  }
}

void runGemm(const Node& node, const Value& a, const Value& b, const Value* c, Value& out) {
  bool ta = node.intAttr("transA", 0) != 0, tb = node.intAttr("transB", 0) != 0;
  double alpha = node.floatAttr("alpha", 1.0), beta = node.floatAttr("beta", 1.0);
  int64_t m = ta ? a.dims[1] : a.dims[0], k = ta ? a.dims[0] : a.dims[1];
  int64_t n = tb ? b.dims[0] : b.dims[1];
  out.dims = {m, n};
  out.data.assign(static_cast<size_t>(m * n), 0);
  std::vector<int64_t> offC;
  if (c) offC = broadcastOffsets(c->dims, out.dims);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        double x = ta ? a.data[static_cast<size_t>(p * m + i)] : a.data[static_cast<size_t>(i * k + p)];
        double y = tb ? b.data[static_cast<size_t>(j * k + p)] : b.data[static_cast<size_t>(p * n + j)];
        sum += x * y;
      }
      double r = alpha * sum + (c ? beta * c->data[static_cast<size_t>(offC[static_cast<size_t>(i * n + j)])] : 0);
      out.data[static_cast<size_t>(i * n + j)] = narrow(out.type, r);
    }
  }
}

void runSoftmax(const Node& node, int64_t opset, const Value& x, Value& out) {
  out.dims = x.dims;
  out.data.resize(x.data.size());
  size_t rank = x.dims.size();
  int64_t axis = normalizeAxis(node.intAttr("axis", opset >= 13 ? -1 : 1), rank);
  int64_t outer = 1, extent = 1, inner = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t d = x.dims[i];
    if (static_cast<int64_t>(i) < axis)
      outer *= d;
    else if (opset < 13 || static_cast<int64_t>(i) == axis)
      extent *= d;
    else
      inner *= d;
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t e) { return static_cast<size_t>((o * extent + e) * inner + in); };
      double maxValue = -INFINITY;
      for (int64_t e = 0; e < extent; ++e) maxValue = std::max(maxValue, x.data[at(e)]);
      double sum = 0;
      for (int64_t e = 0; e < extent; ++e) sum += std::exp(x.data[at(e)] - maxValue);
      for (int64_t e = 0; e < extent; ++e) out.data[at(e)] = narrow(out.type, std::exp(x.data[at(e)] - maxValue) / sum);
    }
  }
}

void runTranspose(const Node& node, const Value& x, Value& out) {
  size_t rank = x.dims.size();
  std::vector<int64_t> perm(rank);
  std::iota(perm.rbegin(), perm.rend(), 0);
  perm = intsAttr(node, "perm", perm);
  out.dims.clear();
  for (int64_t p : perm) out.dims.push_back(x.dims[static_cast<size_t>(p)]);
  std::vector<int64_t> inStrides = stridesOf(x.dims);
  Shape permutedStrides;
  for (int64_t p : perm) permutedStrides.push_back(inStrides[static_cast<size_t>(p)]);
  out.data.resize(x.data.size());
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (size_t linear = 0; linear < out.data.size(); ++linear) {
    out.data[linear] = x.data[static_cast<size_t>(offset)];
    for (size_t axis = rank; axis-- > 0;) {
      ++index[axis];
      offset += permutedStrides[axis];
      if (index[axis] < out.dims[axis]) break;
      offset -= permutedStrides[axis] * index[axis];
      index[axis] = 0;
    }
  }
}

void runConv(const Node& node, const Value& x, const Value& w, const Value* bias, Value& out) {
  ConvGeometry g;
  std::string error;
  convGeometry(node, x.dims, w.dims, g, error);
  bool twoD = x.dims.size() == 4;
  int64_t n = x.dims[0], c = x.dims[1], h = twoD ? x.dims[2] : 1, wd = x.dims[twoD ? 3 : 2];
  int64_t m = w.dims[0], cPerGroup = w.dims[1];
  int64_t group = node.intAttr("group", 1), mPerGroup = m / group;
  int64_t oh = g.out[0], ow = g.out[1];
  out.dims = {n, m};
  if (twoD) out.dims.push_back(oh);
  out.dims.push_back(ow);
  out.data.assign(static_cast<size_t>(n * m * oh * ow), 0);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oc = 0; oc < m; ++oc) {
      int64_t gi = oc / mPerGroup;
      for (int64_t oy = 0; oy < oh; ++oy) {
        for (int64_t ox = 0; ox < ow; ++ox) {
          double sum = bias ? bias->data[static_cast<size_t>(oc)] : 0;
          for (int64_t ic = 0; ic < cPerGroup; ++ic) {
            int64_t channel = gi * cPerGroup + ic;
            for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
              int64_t iy = oy * g.stride[0] - g.padBegin[0] + ky * g.dilation[0];
              if (iy < 0 || iy >= h) continue;
              for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
                int64_t ix = ox * g.stride[1] - g.padBegin[1] + kx * g.dilation[1];
                if (ix < 0 || ix >= wd) continue;
                sum += x.data[static_cast<size_t>(((b * c + channel) * h + iy) * wd + ix)] *
                       w.data[static_cast<size_t>(((oc * cPerGroup + ic) * g.kernel[0] + ky) * g.kernel[1] + kx)];
              }
            }
          }
          out.data[static_cast<size_t>(((b * m + oc) * oh + oy) * ow + ox)] = narrow(out.type, sum);
        }
      }
    }
  }
}

// Per-tensor or per-axis scale: the scale index of each element.
std::vector<size_t> scaleIndex(const Node& node, const Value& x, const Value& scale) {
  std::vector<size_t> index(x.data.size(), 0);
  if (scale.data.size() <= 1) return index;
  int64_t axis = normalizeAxis(node.intAttr("axis", 1), x.dims.size());
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < x.dims.size(); ++i) inner *= x.dims[i];
  int64_t extent = x.dims[static_cast<size_t>(axis)];
  for (size_t i = 0; i < index.size(); ++i) index[i] = static_cast<size_t>((static_cast<int64_t>(i) / inner) % extent);
  return index;
}

}  // namespace

void runNode(const Node& node, int64_t opset, const std::vector<const Value*>& in, std::vector<Value>& outputs) {
  Value& out = outputs[0];
  const std::string& op = node.op;
  const Value& x = *in[0];
  if (const TrtsimPlugin* plugin = findPlugin(op)) return runPlugin(*plugin, node, x, out);
  if (op == "Identity" || op == "Reshape" || op == "Flatten") {
    out.data = x.data;  // the shape was computed by inferShapes and set by the caller
  } else if (op == "Relu" || op == "Sigmoid" || op == "Tanh") {
    out.dims = x.dims;
    out.data.resize(x.data.size());
    for (size_t i = 0; i < x.data.size(); ++i) {
      double v = x.data[i];
      double r = op == "Relu" ? (v > 0 ? v : 0) : op == "Sigmoid" ? 1.0 / (1.0 + std::exp(-v)) : std::tanh(v);
      out.data[i] = narrow(out.type, r);
    }
  } else if (op == "Cast") {
    out.dims = x.dims;
    out.data.resize(x.data.size());
    for (size_t i = 0; i < x.data.size(); ++i) out.data[i] = narrow(out.type, x.data[i]);
  } else if (isBinary(op)) {
    runElementwise(node, x, *in[1], out);
  } else if (op == "MatMul") {
    runMatMul(x, *in[1], out);
  } else if (op == "Gemm") {
    runGemm(node, x, *in[1], in.size() > 2 ? in[2] : nullptr, out);
  } else if (op == "Softmax") {
    runSoftmax(node, opset, x, out);
  } else if (op == "Transpose") {
    runTranspose(node, x, out);
  } else if (op == "Conv") {
    runConv(node, x, *in[1], in.size() > 2 ? in[2] : nullptr, out);
  } else if (op == "KVCacheUpdate") {
    // out[i, :, writeIndices[i] + s, :] = update[i, :, s, :]; writes past the cache are dropped.
    const Value& update = *in[1];
    const Value& indices = *in[2];
    out.dims = x.dims;
    out.data = x.data;
    int64_t heads = x.dims[1], maxSeq = x.dims[2], size = x.dims[3], seq = update.dims[2];
    for (int64_t b = 0; b < x.dims[0]; ++b) {
      int64_t start = static_cast<int64_t>(indices.data[static_cast<size_t>(b)]);
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t s = 0; s < seq; ++s) {
          if (start + s < 0 || start + s >= maxSeq) continue;
          for (int64_t e = 0; e < size; ++e) {
            out.data[static_cast<size_t>(((b * heads + h) * maxSeq + start + s) * size + e)] =
                update.data[static_cast<size_t>(((b * heads + h) * seq + s) * size + e)];
          }
        }
      }
    }
  } else if (op == "NonZero") {
    size_t rank = x.dims.size();
    std::vector<int64_t> strides = stridesOf(x.dims);
    std::vector<size_t> hits;
    for (size_t i = 0; i < x.data.size(); ++i) {
      if (x.data[i] != 0) hits.push_back(i);
    }
    out.dims = {static_cast<int64_t>(rank), static_cast<int64_t>(hits.size())};
    out.data.assign(rank * hits.size(), 0);
    for (size_t h = 0; h < hits.size(); ++h) {
      int64_t rest = static_cast<int64_t>(hits[h]);
      for (size_t axis = 0; axis < rank; ++axis) {
        out.data[axis * hits.size() + h] = static_cast<double>(rest / strides[axis]);
        rest %= strides[axis];
      }
    }
  } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
    const Value& scale = *in[1];
    std::vector<size_t> index = scaleIndex(node, x, scale);
    out.dims = x.dims;
    out.data.resize(x.data.size());
    for (size_t i = 0; i < x.data.size(); ++i) {
      double s = scale.data[index[i]];
      out.data[i] = op == "QuantizeLinear" ? narrow(out.type, roundHalfEven(x.data[i] / s)) : narrow(out.type, x.data[i] * s);
    }
  }
}

}  // namespace trtsim
