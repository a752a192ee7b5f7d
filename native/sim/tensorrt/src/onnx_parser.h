// The ONNX parser stand-in: reads a serialized ModelProto with the project's own wire decoder and
// fills a Network. Problems are recorded as IParserError and sent to the logger, as the real
// parser does.
#pragma once

#include "network.h"

#include <NvOnnxParser.h>

#include <string>
#include <vector>

namespace trtsim {

class ParserError final : public nvonnxparser::IParserError {
 public:
  ParserError(nvonnxparser::ErrorCode code, std::string desc, int node, std::string nodeName, std::string nodeOp)
      : code_(code), desc_(std::move(desc)), node_(node), nodeName_(std::move(nodeName)), nodeOp_(std::move(nodeOp)) {}
  ~ParserError() override = default;
  nvonnxparser::ErrorCode code() const override { return code_; }
  const char* desc() const override { return desc_.c_str(); }
  const char* file() const override { return "onnx_parser.cc"; }
  int line() const override { return 0; }
  const char* func() const override { return "parse"; }
  int node() const override { return node_; }
  const char* nodeName() const override { return nodeName_.c_str(); }
  const char* nodeOperator() const override { return nodeOp_.c_str(); }

 private:
  nvonnxparser::ErrorCode code_;
  std::string desc_;
  int node_;
  std::string nodeName_;
  std::string nodeOp_;
};

class OnnxParser final : public nvonnxparser::IParser {
 public:
  OnnxParser(Network& network, nvinfer1::ILogger* logger) : network_(network), logger_(logger) {}
  bool parse(const void* data, size_t size, const char* modelPath = nullptr) noexcept override;
  bool parseFromFile(const char* path, int verbosity) noexcept override;
  bool supportsOperator(const char* op) const noexcept override;
  int getNbErrors() const noexcept override { return static_cast<int>(errors_.size()); }
  const nvonnxparser::IParserError* getError(int index) const noexcept override;
  void clearErrors() noexcept override { errors_.clear(); }

 private:
  void fail(nvonnxparser::ErrorCode code, const std::string& desc, int node = -1, const std::string& name = "", const std::string& op = "");

  Network& network_;
  nvinfer1::ILogger* logger_;
  std::vector<ParserError> errors_;
};

}  // namespace trtsim
