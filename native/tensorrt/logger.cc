#include "tensorrt/logger.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace trtn {

namespace {

thread_local std::vector<LogCapture*> t_captures;

std::string FormatLine(nvinfer1::ILogger::Severity severity, const char* message) {
  return std::string("[") + SeverityName(severity) + "] " + (message ? message : "");
}

bool Captured(nvinfer1::ILogger::Severity severity) {
  return static_cast<int>(severity) <= static_cast<int>(nvinfer1::ILogger::Severity::kWARNING);
}

struct Sink {
  napi_threadsafe_function tsfn = nullptr;
  nvinfer1::ILogger::Severity level = nvinfer1::ILogger::Severity::kWARNING;
};

std::mutex g_sinks_mutex;
std::map<napi_env, Sink> g_sinks;

struct LogLine {
  nvinfer1::ILogger::Severity severity;
  std::string message;
};

void CallJs(napi_env env, napi_value callback, void*, void* data) {
  std::unique_ptr<LogLine> line(static_cast<LogLine*>(data));
  if (env == nullptr || callback == nullptr) return;
  Napi::Env e(env);
  Napi::Function fn(env, callback);
  try {
    fn.Call({Napi::String::New(e, SeverityName(line->severity)), Napi::String::New(e, line->message)});
  } catch (const Napi::Error&) {
    // A throwing log callback must not take the process down; the line is dropped.
  }
}

}  // namespace

const char* SeverityName(nvinfer1::ILogger::Severity severity) {
  using S = nvinfer1::ILogger::Severity;
  switch (severity) {
    case S::kINTERNAL_ERROR:
      return "internal-error";
    case S::kERROR:
      return "error";
    case S::kWARNING:
      return "warning";
    case S::kINFO:
      return "info";
    case S::kVERBOSE:
      return "verbose";
  }
  return "unknown";
}

TrtLogger& TrtLogger::Instance() {
  static TrtLogger* logger = new TrtLogger();  // never destroyed: TensorRT may log during exit
  return *logger;
}

void TrtLogger::log(Severity severity, const char* msg) noexcept {
  try {
    for (LogCapture* capture : t_captures) capture->Add(severity, msg);
    std::lock_guard<std::mutex> lock(g_sinks_mutex);
    for (auto& [env, sink] : g_sinks) {
      if (static_cast<int>(severity) > static_cast<int>(sink.level)) continue;
      auto* line = new LogLine{severity, msg ? msg : ""};
      if (napi_call_threadsafe_function(sink.tsfn, line, napi_tsfn_nonblocking) != napi_ok) delete line;
    }
  } catch (...) {
    // Logging must never throw into TensorRT.
  }
}

void TrtLogger::SetSink(Napi::Env env, Napi::Function callback, Severity level) {
  RemoveSink(env);
  napi_threadsafe_function tsfn = nullptr;
  napi_value name = Napi::String::New(env, "tensorrt-node logger");
  NAPI_THROW_IF_FAILED_VOID(env,
                            napi_create_threadsafe_function(env, callback, nullptr, name, 0, 1, nullptr, nullptr, nullptr, CallJs, &tsfn));
  // The logger must never keep the process alive.
  napi_unref_threadsafe_function(env, tsfn);
  std::lock_guard<std::mutex> lock(g_sinks_mutex);
  g_sinks[env] = Sink{tsfn, level};
}

void TrtLogger::RemoveSink(napi_env env) {
  napi_threadsafe_function tsfn = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_sinks_mutex);
    auto it = g_sinks.find(env);
    if (it == g_sinks.end()) return;
    tsfn = it->second.tsfn;
    g_sinks.erase(it);
  }
  napi_release_threadsafe_function(tsfn, napi_tsfn_abort);
}

LogCapture::LogCapture() { t_captures.push_back(this); }

LogCapture::~LogCapture() { t_captures.erase(std::remove(t_captures.begin(), t_captures.end(), this), t_captures.end()); }

void LogCapture::Add(nvinfer1::ILogger::Severity severity, const char* message) {
  if (Captured(severity)) lines_.push_back(FormatLine(severity, message));
}

std::string LogCapture::Text() const {
  std::string text;
  for (const std::string& line : lines_) {
    if (!text.empty()) text += "\n";
    text += line;
  }
  return text;
}

bool LogCapture::Contains(const std::string& needle) const {
  return std::any_of(lines_.begin(), lines_.end(), [&](const std::string& line) { return line.find(needle) != std::string::npos; });
}

namespace {
void RemoveSinkHook(napi_env env) { TrtLogger::Instance().RemoveSink(env); }
}  // namespace

Napi::Value SetTensorRTLogger(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  using S = nvinfer1::ILogger::Severity;
  if (!info[0].IsFunction()) {
    TrtLogger::Instance().RemoveSink(env);
    return env.Undefined();
  }
  std::string level = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "warning";
  S severity = level == "error" ? S::kERROR : level == "info" ? S::kINFO : level == "verbose" ? S::kVERBOSE : S::kWARNING;
  TrtLogger::Instance().SetSink(env, info[0].As<Napi::Function>(), severity);
  // Node aborts when one hook is added twice, so each environment gets its hook once.
  static std::mutex hooked_mutex;
  static std::set<napi_env> hooked;
  std::lock_guard<std::mutex> lock(hooked_mutex);
  if (hooked.insert(env).second) {
    napi_add_env_cleanup_hook(
        env,
        [](void* arg) {
          RemoveSinkHook(static_cast<napi_env>(arg));
          std::lock_guard<std::mutex> inner(hooked_mutex);
          hooked.erase(static_cast<napi_env>(arg));
        },
        static_cast<napi_env>(env));
  }
  return env.Undefined();
}

}  // namespace trtn
