// The one ILogger tensorrt-node gives TensorRT. TensorRT explains failures only through its
// logger, so every native operation opens a LogCapture on the thread doing the TensorRT calls and
// attaches what was logged to the error it throws. Lines at or above the configured level are
// also forwarded, without blocking, to a JS callback when one is set.
#pragma once

#include <NvInferRuntime.h>
#include <napi.h>

#include <mutex>
#include <string>
#include <vector>

namespace trtn {

class TrtLogger final : public nvinfer1::ILogger {
 public:
  static TrtLogger& Instance();
  void log(Severity severity, const char* msg) noexcept override;

  // Forwards lines of `level` and more severe to `callback(severity, message)` on the JS thread of
  // `env`; an empty callback stops forwarding for that environment.
  void SetSink(Napi::Env env, Napi::Function callback, Severity level);
  void RemoveSink(napi_env env);

 private:
  TrtLogger() = default;
};

// Collects the lines TensorRT logs on this thread while the capture is alive (warnings and
// errors; info and verbose lines are not needed to explain a failure).
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  void Add(nvinfer1::ILogger::Severity severity, const char* message);
  // The captured lines joined with newlines, each prefixed with its severity.
  std::string Text() const;
  bool Contains(const std::string& needle) const;

 private:
  std::vector<std::string> lines_;
};

const char* SeverityName(nvinfer1::ILogger::Severity severity);

// JS-facing: setTensorRTLogger(callback | null, level).
Napi::Value SetTensorRTLogger(const Napi::CallbackInfo& info);

}  // namespace trtn
