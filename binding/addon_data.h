// Per-environment state of the addon (worker threads and multiple contexts
// each get their own).
#pragma once

#include <napi.h>

namespace senet_binding {

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference datasetConstructor;
  static AddonData& From(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace senet_binding
