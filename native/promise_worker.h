// An AsyncWorker that settles a promise: Execute() (on the libuv pool) either records a failure
// with Fail(code, message, details) or leaves its result in members; back on the JS thread the
// promise rejects with that TensorRTNodeError or resolves with Result(env). Errors can only be
// built on the JS thread, hence the recorded strings.
#pragma once

#include <napi.h>

#include <string>

#include "errors.h"

namespace trtn {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  PromiseWorker(Napi::Env env, const char* resource_name)
      : Napi::AsyncWorker(env, resource_name), deferred_(Napi::Promise::Deferred::New(env)) {}

  // For Execute(): the operation failed; `code` is one of lib/errors.ts ErrorCode.
  void Fail(const char* code, const std::string& message, const std::string& details = "") {
    code_ = code;
    message_ = message;
    details_ = details;
  }

  // The value to resolve with, on the JS thread, when Execute() did not Fail().
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void OnOK() override {
    Napi::Env env = Env();
    if (!code_.empty()) {
      deferred_.Reject(MakeError(env, code_.c_str(), message_, details_).Value());
      return;
    }
    deferred_.Resolve(Result(env));
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

  Napi::Promise::Deferred deferred_;
  std::string code_, message_, details_;
};

}  // namespace trtn
