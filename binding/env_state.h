// Whether this environment can still run JavaScript. Completions and progress
// events of native work can arrive while Node tears an environment down (a
// Worker's process.exit() or terminate(), or the process exiting): setting a
// property then fails, and node-addon-api turns the failure into an Error it
// cannot create either, which aborts the process. Callbacks check this first
// and drop their result instead; nobody is left to receive it.
#pragma once

#include <napi.h>

namespace senet_binding {

inline bool canRunJs(napi_env env) {
  // Property writes go through the checks a stopping environment fails; plain C calls, so nothing throws.
  napi_value probe;
  napi_value value;
  if (napi_create_object(env, &probe) != napi_ok || napi_get_boolean(env, true, &value) != napi_ok) return false;
  return napi_set_named_property(env, probe, "alive", value) == napi_ok;
}

}  // namespace senet_binding
