// Runs a step of an operation that may block (wait for the GPU, capture a CUDA graph) on the libuv
// pool, then finishes it on the JS thread: `finish` returns what the promise resolves with (a
// value or another promise, which it then follows) or throws a Napi::Error to reject it.
#pragma once

#include <napi.h>

#include <functional>
#include <utility>

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

}  // namespace trtn
