// Words the error of a plan TensorRT refused to deserialize. TensorRT says why only in its log;
// the plan header (plan_header.h) adds which TensorRT built the plan. Together they tell a plan
// this library cannot use (ERR_ENGINE_INCOMPATIBLE: another TensorRT release, another GPU, a
// missing plugin, host code not allowed) from data that is not a usable plan (ERR_ENGINE_CORRUPT),
// and say what to do about each.
#pragma once

#include <string>

#include "tensorrt/plan_header.h"

namespace trtn {

struct PlanFailure {
  const char* code;
  std::string message;
};

struct PlanFailureContext {
  PlanHeader header;
  LibraryVersion library;  // the loaded libnvinfer
  std::string log;         // what TensorRT logged while deserializing
  bool allow_host_code = false;
  std::string plugins;  // the standard plugin library's state, for a missing plugin
};

PlanFailure DiagnosePlanFailure(const PlanFailureContext& context);

}  // namespace trtn
