// Runs a step of an operation that may block (wait for the GPU, capture a CUDA graph) on the libuv
// pool, then finishes it on the JS thread: `finish` returns what the promise resolves with (a
// value or another promise, which it then follows) or throws a Napi::Error to reject it.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "cuda/current_device.h"
#include "tensorrt/logger.h"

namespace trtn {

class OffThreadStep : public Napi::AsyncWorker {
 public:
  OffThreadStep(Napi::Env env, const char* name, std::function<void()> execute, std::function<Napi::Value(Napi::Env)> finish)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        execute_(std::move(execute)),
        finish_(std::move(finish)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { execute_(); }

  void OnOK() override {
    try {
      deferred_.Resolve(finish_(Env()));
    } catch (const Napi::Error& error) {
      deferred_.Reject(error.Value());
    }
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> execute_;
  std::function<Napi::Value(Napi::Env)> finish_;
};

// Queues the step and returns its promise.
inline Napi::Value RunOffThread(Napi::Env env, const char* name, std::function<void()> execute,
                                std::function<Napi::Value(Napi::Env)> finish) {
  auto* step = new OffThreadStep(env, name, std::move(execute), std::move(finish));
  Napi::Promise promise = step->Promise();
  step->Queue();
  return promise;
}

// A step for one device's objects. A pool thread's current device is whatever its last task left
// there, and the JS thread's whatever other devices' work set: `execute` runs on the pool and
// `finish` back on the JS thread with `device` current. What TensorRT logged during `execute` is
// handed to `finish`; a CUDA error `execute` left pending is cleared, so that the next task on
// that pool thread does not inherit it.
inline Napi::Value RunOnDeviceOffThread(Napi::Env env, const char* name, int device, std::function<void()> execute,
                                        std::function<Napi::Value(Napi::Env, const std::string& log)> finish) {
  auto log = std::make_shared<std::string>();
  return RunOffThread(
      env, name,
      [device, log, execute = std::move(execute)] {
        LogCapture capture;
        UseDevice(device);
        execute();
        cudaGetLastError();
        *log = capture.Text();
      },
      [device, log, finish = std::move(finish)](Napi::Env env) {
        UseDevice(device);
        return finish(env, *log);
      });
}

}  // namespace trtn
