// tensorrtInfo() for JS: what the loader found, with versions and the exact reasons when not.
#pragma once

#include <napi.h>

namespace trtn {

void InitTensorRTInfo(Napi::Env env, Napi::Object exports);

}  // namespace trtn
