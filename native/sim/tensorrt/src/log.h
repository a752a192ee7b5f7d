// Sends diagnostics to the application's ILogger in the shape TensorRT uses for errors:
// "Error Code <n>: <category> (<what happened>)".
#pragma once

#include <NvInferRuntime.h>

#include <string>

namespace trtsim {

using Severity = nvinfer1::ILogger::Severity;

enum class ErrorKind { kSerialization = 1, kInternal = 2, kApiUsage = 3, kConfig = 4, kUnsupported = 9 };

void logMessage(nvinfer1::ILogger* logger, Severity severity, const std::string& text);
void logError(nvinfer1::ILogger* logger, ErrorKind kind, const std::string& where, const std::string& text);

}  // namespace trtsim
