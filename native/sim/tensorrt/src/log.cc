#include "log.h"

namespace trtsim {

namespace {
const char* kindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kSerialization:
      return "Serialization";
    case ErrorKind::kInternal:
      return "Internal Error";
    case ErrorKind::kApiUsage:
      return "API Usage Error";
    case ErrorKind::kConfig:
      return "Invalid Configuration";
    case ErrorKind::kUnsupported:
      return "Unsupported";
  }
  return "Error";
}
}  // namespace

void logMessage(nvinfer1::ILogger* logger, Severity severity, const std::string& text) {
  if (logger) logger->log(severity, text.c_str());
}

void logError(nvinfer1::ILogger* logger, ErrorKind kind, const std::string& where, const std::string& text) {
  logMessage(logger, Severity::kERROR,
             "[" + where + "] Error Code " + std::to_string(static_cast<int>(kind)) + ": " + kindName(kind) + " (" + text + ")");
}

}  // namespace trtsim
