#include "onnx_parser.h"

#include "log.h"
#include "ops.h"
#include "plugin_registry.h"
#include "protobuf.h"
#include "value.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

namespace trtsim {

using nvonnxparser::ErrorCode;

namespace {

struct DecodeError {
  ErrorCode code;
  std::string desc;
};

bool typeFromOnnx(int64_t onnx, DataType& type) {
  switch (onnx) {
    case 1:
      type = DataType::kFLOAT;
      return true;
    case 2:
      type = DataType::kUINT8;
      return true;
    case 3:
      type = DataType::kINT8;
      return true;
    case 6:
      type = DataType::kINT32;
      return true;
    case 7:
      type = DataType::kINT64;
      return true;
    case 9:
      type = DataType::kBOOL;
      return true;
    case 10:
      type = DataType::kHALF;
      return true;
    case 16:
      type = DataType::kBF16;
      return true;
    default:
      return false;
  }
}

// TensorProto -> constant TensorInfo (raw_data or the typed repeated fields).
// External data: the weights live in a file next to the model (ONNX's external data format).
// The location must stay inside the model's folder, as ONNX's checker requires.
bool readExternal(const std::map<std::string, std::string>& info, const std::string& baseDir, size_t bytes, TensorInfo& out,
                  DecodeError& err) {
  auto location = info.find("location");
  if (location == info.end() || location->second.empty()) {
    err = {ErrorCode::kINVALID_VALUE, "initializer " + out.name + " uses external data without a location"};
    return false;
  }
  if (baseDir.empty()) {
    err = {ErrorCode::kINVALID_VALUE,
           "initializer " + out.name + " uses external data, but no model path was given to find " + location->second};
    return false;
  }
  const std::string& rel = location->second;
  if (rel[0] == '/' || rel == ".." || rel.rfind("../", 0) == 0 || rel.find("/../") != std::string::npos ||
      (rel.size() >= 3 && rel.compare(rel.size() - 3, 3, "/..") == 0)) {
    err = {ErrorCode::kINVALID_VALUE, "initializer " + out.name + ": external data location " + rel + " is outside the model's folder"};
    return false;
  }
  auto number = [&](const char* key, uint64_t fallback, uint64_t& value) {
    auto it = info.find(key);
    if (it == info.end()) {
      value = fallback;
      return true;
    }
    char* end = nullptr;
    value = std::strtoull(it->second.c_str(), &end, 10);
    return !it->second.empty() && end && *end == '\0';
  };
  uint64_t offset, length;
  if (!number("offset", 0, offset) || !number("length", bytes, length)) {
    err = {ErrorCode::kINVALID_VALUE, "initializer " + out.name + " has a malformed external data offset or length"};
    return false;
  }
  std::string path = baseDir + "/" + rel;
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) {
    err = {ErrorCode::kINVALID_VALUE, "initializer " + out.name + ": cannot open external data file " + path};
    return false;
  }
  uint64_t fileSize = static_cast<uint64_t>(file.tellg());
  if (length != bytes || offset > fileSize || fileSize - offset < length) {
    err = {ErrorCode::kINVALID_VALUE, "initializer " + out.name + ": external data (offset " + std::to_string(offset) + ", length " +
                                          std::to_string(length) + ") does not hold the " + std::to_string(bytes) + " bytes of shape " +
                                          formatShape(out.dims) + " in " + path};
    return false;
  }
  out.bytes.resize(bytes);
  file.seekg(static_cast<std::streamoff>(offset));
  if (bytes > 0 && !file.read(reinterpret_cast<char*>(out.bytes.data()), static_cast<std::streamsize>(bytes))) {
    err = {ErrorCode::kINVALID_VALUE, "initializer " + out.name + ": reading " + path + " failed"};
    return false;
  }
  return true;
}

bool readTensor(Bytes message, TensorInfo& out, DecodeError& err, const std::string& baseDir) {
  WireReader reader(message);
  Field f;
  int64_t onnxType = 0;
  bool ok = true;
  bool external = false;
  std::map<std::string, std::string> externalInfo;
  std::vector<float> floats;
  std::vector<int64_t> ints32, ints64, dims;
  std::vector<double> doubles;
  Bytes raw;
  bool haveRaw = false;
  while (reader.next(f)) {
    switch (f.number) {
      case 1:
        appendVarints(f, dims, ok);
        break;
      case 2:
        onnxType = static_cast<int64_t>(f.varint);
        break;
      case 4:
        appendFloats(f, floats, ok);
        break;
      case 5:
        appendVarints(f, ints32, ok);
        break;
      case 7:
        appendVarints(f, ints64, ok);
        break;
      case 8:
        out.name = f.bytes.str();
        break;
      case 9:
        raw = f.bytes;
        haveRaw = true;
        break;
      case 10:
        appendDoubles(f, doubles, ok);
        break;
      case 13: {
        WireReader entry(f.bytes);
        Field e;
        std::string key, value;
        while (entry.next(e)) {
          if (e.number == 1) key = e.bytes.str();
          if (e.number == 2) value = e.bytes.str();
        }
        externalInfo[key] = value;
        break;
      }
      case 14:
        external = f.varint == 1;
        break;
      default:
        break;
    }
  }
  if (!reader.ok() || !ok) {
    err = {ErrorCode::kMODEL_DESERIALIZE_FAILED, "malformed TensorProto " + out.name};
    return false;
  }
  if (!typeFromOnnx(onnxType, out.type)) {
    err = {ErrorCode::kUNSUPPORTED_NODE_DATATYPE,
           "initializer " + out.name + " has ONNX type " + std::to_string(onnxType) + ", which TensorRT does not support"};
    return false;
  }
  out.dims = dims;
  out.constant = true;
  int64_t count = volume(dims);
  size_t bytes = static_cast<size_t>(count) * elementSize(out.type);
  if (external) return readExternal(externalInfo, baseDir, bytes, out, err);
  if (haveRaw) {
    if (raw.size != bytes) {
      err = {ErrorCode::kINVALID_VALUE,
             "initializer " + out.name + " has " + std::to_string(raw.size) + " bytes of data for shape " + formatShape(dims)};
      return false;
    }
    out.bytes.assign(raw.data, raw.data + raw.size);
    return true;
  }
  Value v{out.type, dims, {}};
  if (out.type == DataType::kFLOAT)
    v.data.assign(floats.begin(), floats.end());
  else if (out.type == DataType::kINT64)
    v.data.assign(ints64.begin(), ints64.end());
  else if (out.type == DataType::kHALF || out.type == DataType::kBF16) {
    // 16-bit floats travel as their bit patterns in int32_data.
    out.bytes.resize(bytes);
    if (ints32.size() != static_cast<size_t>(count)) {
      err = {ErrorCode::kINVALID_VALUE, "initializer " + out.name + " has the wrong number of elements"};
      return false;
    }
    for (size_t i = 0; i < ints32.size(); ++i) {
      uint16_t bits = static_cast<uint16_t>(ints32[i]);
      std::memcpy(out.bytes.data() + 2 * i, &bits, 2);
    }
    return true;
  } else {
    v.data.assign(ints32.begin(), ints32.end());
  }
  if (v.data.size() != static_cast<size_t>(count)) {
    err = {ErrorCode::kINVALID_VALUE,
           "initializer " + out.name + " has " + std::to_string(v.data.size()) + " elements for shape " + formatShape(dims)};
    return false;
  }
  out.bytes.resize(bytes);
  encode(v, out.bytes.data());
  return true;
}

struct RawAttribute {
  std::string name;
  Attribute value;
  Bytes tensor;
  bool hasTensor = false;
};

bool readAttribute(Bytes message, RawAttribute& out) {
  WireReader reader(message);
  Field f;
  bool ok = true;
  int64_t type = 0;
  std::vector<float> floats;
  while (reader.next(f)) {
    switch (f.number) {
      case 1:
        out.name = f.bytes.str();
        break;
      case 2:
        out.value.f = fieldAsFloat(f);
        break;
      case 3:
        out.value.i = static_cast<int64_t>(f.varint);
        break;
      case 4:
        out.value.s = f.bytes.str();
        break;
      case 5:
        out.tensor = f.bytes;
        out.hasTensor = true;
        break;
      case 7:
        appendFloats(f, floats, ok);
        break;
      case 8:
        appendVarints(f, out.value.ints, ok);
        break;
      case 20:
        type = static_cast<int64_t>(f.varint);
        break;
      default:
        break;
    }
  }
  out.value.floats.assign(floats.begin(), floats.end());
  // AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS.
  switch (type) {
    case 1:
      out.value.kind = Attribute::Kind::kFloat;
      break;
    case 3:
      out.value.kind = Attribute::Kind::kString;
      break;
    case 4:
      out.value.kind = Attribute::Kind::kTensor;
      break;
    case 6:
      out.value.kind = Attribute::Kind::kFloats;
      break;
    case 7:
      out.value.kind = Attribute::Kind::kInts;
      break;
    default:
      out.value.kind = Attribute::Kind::kInt;
      break;
  }
  return reader.ok() && ok;
}

struct RawNode {
  std::vector<std::string> inputs, outputs;
  std::string name, op, domain;
  std::vector<RawAttribute> attrs;
};

bool readNode(Bytes message, RawNode& out) {
  WireReader reader(message);
  Field f;
  while (reader.next(f)) {
    switch (f.number) {
      case 1:
        out.inputs.push_back(f.bytes.str());
        break;
      case 2:
        out.outputs.push_back(f.bytes.str());
        break;
      case 3:
        out.name = f.bytes.str();
        break;
      case 4:
        out.op = f.bytes.str();
        break;
      case 5: {
        RawAttribute a;
        if (!readAttribute(f.bytes, a)) return false;
        out.attrs.push_back(std::move(a));
        break;
      }
      case 7:
        out.domain = f.bytes.str();
        break;
      default:
        break;
    }
  }
  return reader.ok();
}

// ValueInfoProto -> name, element type and shape (-1 for symbolic or missing extents).
bool readValueInfo(Bytes message, TensorInfo& out, int64_t& onnxType, bool& hasShape) {
  WireReader reader(message);
  Field f;
  onnxType = 0;
  hasShape = false;
  while (reader.next(f)) {
    if (f.number == 1) out.name = f.bytes.str();
    if (f.number != 2) continue;
    WireReader typeReader(f.bytes);
    Field tf;
    while (typeReader.next(tf)) {
      if (tf.number != 1) continue;  // tensor_type
      WireReader tensorReader(tf.bytes);
      Field xf;
      while (tensorReader.next(xf)) {
        if (xf.number == 1) onnxType = static_cast<int64_t>(xf.varint);
        if (xf.number != 2) continue;
        hasShape = true;
        WireReader shapeReader(xf.bytes);
        Field sf;
        while (shapeReader.next(sf)) {
          if (sf.number != 1) continue;
          int64_t extent = -1;
          WireReader dimReader(sf.bytes);
          Field df;
          while (dimReader.next(df)) {
            if (df.number == 1 && df.wireType == 0) extent = static_cast<int64_t>(df.varint);
          }
          if (!dimReader.ok()) return false;
          out.dims.push_back(extent);
        }
        if (!shapeReader.ok()) return false;
      }
      if (!tensorReader.ok()) return false;
    }
    if (!typeReader.ok()) return false;
  }
  return reader.ok();
}

}  // namespace

void OnnxParser::fail(ErrorCode code, const std::string& desc, int node, const std::string& name, const std::string& op) {
  errors_.emplace_back(code, desc, node, name, op);
  std::string where = node >= 0 ? " (node " + std::to_string(node) + " \"" + name + "\" " + op + ")" : "";
  logMessage(logger_, Severity::kERROR, "ONNX parser: " + desc + where);
}

bool OnnxParser::parse(const void* data, size_t size, const char* modelPath) noexcept {
  try {
    if (network_.parsed()) {
      fail(ErrorCode::kINVALID_GRAPH, "this network already holds a parsed model; create a new network to parse another");
      return false;
    }
    std::string baseDir;
    if (modelPath && *modelPath) {
      std::string path(modelPath);
      size_t slash = path.find_last_of('/');
      baseDir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    }
    WireReader model(data, size);
    Field f;
    Bytes graphBytes;
    bool haveGraph = false;
    int64_t opset = 0;
    while (model.next(f)) {
      if (f.number == 7 && f.wireType == 2) {
        graphBytes = f.bytes;
        haveGraph = true;
      } else if (f.number == 8 && f.wireType == 2) {
        WireReader os(f.bytes);
        Field of;
        std::string domain;
        int64_t version = 0;
        while (os.next(of)) {
          if (of.number == 1) domain = of.bytes.str();
          if (of.number == 2) version = static_cast<int64_t>(of.varint);
        }
        if (domain.empty() || domain == "ai.onnx") opset = version;
      }
    }
    if (!model.ok() || !haveGraph) {
      fail(ErrorCode::kMODEL_DESERIALIZE_FAILED, "failed to parse the ONNX model: the data is not a serialized ModelProto");
      return false;
    }
    if (opset == 0) {
      fail(ErrorCode::kINVALID_GRAPH, "the model does not import the default ONNX operator set");
      return false;
    }

    Graph graph;
    graph.opset = opset;
    std::map<std::string, int> byName;
    auto tensorFor = [&](const std::string& name) {
      auto it = byName.find(name);
      if (it != byName.end()) return it->second;
      TensorInfo t;
      t.name = name;
      graph.tensors.push_back(t);
      int index = static_cast<int>(graph.tensors.size() - 1);
      byName[name] = index;
      return index;
    };

    std::vector<Bytes> inputs, outputs;
    std::vector<RawNode> nodes;
    WireReader gr(graphBytes);
    while (gr.next(f)) {
      if (f.wireType != 2) continue;
      if (f.number == 1) {
        RawNode node;
        if (!readNode(f.bytes, node)) {
          fail(ErrorCode::kMODEL_DESERIALIZE_FAILED, "malformed NodeProto");
          return false;
        }
        nodes.push_back(std::move(node));
      } else if (f.number == 2) {
        graph.name = f.bytes.str();
      } else if (f.number == 5) {
        TensorInfo t;
        DecodeError err;
        if (!readTensor(f.bytes, t, err, baseDir)) {
          fail(err.code, err.desc);
          return false;
        }
        int index = tensorFor(t.name);
        graph.tensors[static_cast<size_t>(index)] = std::move(t);
      } else if (f.number == 11) {
        inputs.push_back(f.bytes);
      } else if (f.number == 12) {
        outputs.push_back(f.bytes);
      }
    }
    if (!gr.ok()) {
      fail(ErrorCode::kMODEL_DESERIALIZE_FAILED, "malformed GraphProto");
      return false;
    }

    for (const Bytes& b : inputs) {
      TensorInfo info;
      int64_t onnxType;
      bool hasShape;
      if (!readValueInfo(b, info, onnxType, hasShape)) {
        fail(ErrorCode::kMODEL_DESERIALIZE_FAILED, "malformed graph input");
        return false;
      }
      auto existing = byName.find(info.name);
      if (existing != byName.end() && graph.tensors[static_cast<size_t>(existing->second)].constant) continue;  // IR < 4 lists initializers
      if (!typeFromOnnx(onnxType, info.type)) {
        fail(ErrorCode::kUNSUPPORTED_GRAPH,
             "input " + info.name + " has ONNX type " + std::to_string(onnxType) + ", which TensorRT does not support");
        return false;
      }
      if (!hasShape) {
        fail(ErrorCode::kUNSUPPORTED_GRAPH, "input " + info.name + " has no shape; TensorRT needs the rank of every input");
        return false;
      }
      int index = tensorFor(info.name);
      graph.tensors[static_cast<size_t>(index)] = info;
      graph.inputs.push_back(index);
    }

    for (size_t n = 0; n < nodes.size(); ++n) {
      RawNode& raw = nodes[n];
      std::string label = raw.name.empty() ? raw.op + "_" + std::to_string(n) : raw.name;
      if (!raw.domain.empty() && raw.domain != "ai.onnx") {
        fail(ErrorCode::kUNSUPPORTED_NODE, "no importer registered for op " + raw.domain + "::" + raw.op, static_cast<int>(n), label,
             raw.op);
        return false;
      }
      if (raw.op == "Constant") {
        if (raw.outputs.size() != 1 || raw.attrs.size() != 1) {
          fail(ErrorCode::kINVALID_NODE, "Constant must have one output and one value attribute", static_cast<int>(n), label, raw.op);
          return false;
        }
        const RawAttribute& a = raw.attrs[0];
        TensorInfo t;
        if (a.name == "value" && a.hasTensor) {
          DecodeError err;
          if (!readTensor(a.tensor, t, err, baseDir)) {
            fail(err.code, err.desc, static_cast<int>(n), label, raw.op);
            return false;
          }
        } else if (a.name == "value_float" || a.name == "value_floats" || a.name == "value_int" || a.name == "value_ints") {
          bool isFloat = a.name.rfind("value_float", 0) == 0;
          bool scalar = a.name == "value_float" || a.name == "value_int";
          Value v;
          v.type = isFloat ? DataType::kFLOAT : DataType::kINT64;
          if (scalar)
            v.data = {isFloat ? a.value.f : static_cast<double>(a.value.i)};
          else if (isFloat)
            v.data = a.value.floats;
          else
            v.data.assign(a.value.ints.begin(), a.value.ints.end());
          v.dims = scalar ? Shape{} : Shape{static_cast<int64_t>(v.data.size())};
          t.type = v.type;
          t.dims = v.dims;
          t.constant = true;
          t.bytes.resize(v.data.size() * elementSize(v.type));
          encode(v, t.bytes.data());
        } else {
          fail(ErrorCode::kUNSUPPORTED_NODE_ATTR, "Constant attribute " + a.name + " is not supported", static_cast<int>(n), label, raw.op);
          return false;
        }
        int index = tensorFor(raw.outputs[0]);
        t.name = raw.outputs[0];
        graph.tensors[static_cast<size_t>(index)] = std::move(t);
        continue;
      }
      // As TensorRT's parser does, an op without an importer is looked up in the plugin registry.
      const TrtsimPlugin* plugin = isSupportedOp(raw.op) ? nullptr : findPlugin(raw.op);
      if (!isSupportedOp(raw.op) && plugin == nullptr) {
        fail(ErrorCode::kUNSUPPORTED_NODE, "no importer registered for op: " + raw.op, static_cast<int>(n), label, raw.op);
        return false;
      }
      Node node;
      node.op = raw.op;
      node.name = label;
      if (plugin != nullptr) {
        node.attrs[kPluginVersionAttr].kind = Attribute::Kind::kString;
        node.attrs[kPluginVersionAttr].s = plugin->version;
        node.attrs[kPluginNamespaceAttr].kind = Attribute::Kind::kString;
        node.attrs[kPluginNamespaceAttr].s = pluginNamespace(raw.op);
      }
      for (const std::string& in : raw.inputs) {
        if (in.empty()) {
          node.inputs.push_back(-1);
          continue;
        }
        if (byName.find(in) == byName.end()) {
          fail(ErrorCode::kINVALID_GRAPH, "input " + in + " is used before it is produced (nodes must be topologically sorted)",
               static_cast<int>(n), label, raw.op);
          return false;
        }
        node.inputs.push_back(byName[in]);
      }
      for (const std::string& out : raw.outputs) {
        if (byName.find(out) != byName.end()) {
          fail(ErrorCode::kINVALID_GRAPH, "tensor " + out + " is produced twice", static_cast<int>(n), label, raw.op);
          return false;
        }
        node.outputs.push_back(tensorFor(out));
      }
      for (const RawAttribute& a : raw.attrs) node.attrs[a.name] = a.value;
      graph.nodes.push_back(std::move(node));
    }

    for (const Bytes& b : outputs) {
      TensorInfo info;
      int64_t onnxType;
      bool hasShape;
      if (!readValueInfo(b, info, onnxType, hasShape)) {
        fail(ErrorCode::kMODEL_DESERIALIZE_FAILED, "malformed graph output");
        return false;
      }
      auto it = byName.find(info.name);
      if (it == byName.end()) {
        fail(ErrorCode::kINVALID_GRAPH, "graph output " + info.name + " is not produced by any node");
        return false;
      }
      graph.outputs.push_back(it->second);
    }

    std::string error;
    int failed = -1;
    if (!propagate(graph, error, failed)) {
      const Node& node = graph.nodes[static_cast<size_t>(failed)];
      fail(ErrorCode::kINVALID_NODE, error, failed, node.name, node.op);
      return false;
    }
    for (int out : graph.outputs) {
      if (graph.tensors[static_cast<size_t>(out)].constant) {
        fail(ErrorCode::kUNSUPPORTED_GRAPH,
             "graph output " + graph.tensors[static_cast<size_t>(out)].name + " is a constant; TensorRT needs outputs computed by layers");
        return false;
      }
    }
    network_.adopt(std::move(graph));
    return true;
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::kMEM_ALLOC_FAILED, "out of host memory while parsing");
    return false;
  } catch (const std::exception& e) {
    fail(ErrorCode::kINTERNAL_ERROR, e.what());
    return false;
  }
}

bool OnnxParser::parseFromFile(const char* path, int) noexcept {
  try {
    std::ifstream file(path ? path : "", std::ios::binary);
    if (!file) {
      fail(ErrorCode::kMODEL_DESERIALIZE_FAILED, std::string("failed to open file: ") + (path ? path : "(null)"));
      return false;
    }
    std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    return parse(bytes.data(), bytes.size(), path);
  } catch (const std::exception& e) {
    fail(ErrorCode::kINTERNAL_ERROR, e.what());
    return false;
  }
}

bool OnnxParser::supportsOperator(const char* op) const noexcept { return op && (isSupportedOp(op) || std::strcmp(op, "Constant") == 0); }

const nvonnxparser::IParserError* OnnxParser::getError(int index) const noexcept {
  if (index < 0 || index >= getNbErrors()) return nullptr;
  return &errors_[static_cast<size_t>(index)];
}

}  // namespace trtsim
