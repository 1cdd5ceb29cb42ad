// Whether this environment can still run JavaScript. Results and events of
// native work can arrive while Node tears an environment down (a
// Worker's process.exit() or terminate(), or the process exiting): a call into
// JS then fails, and node-addon-api turns the failure into an Error it cannot
// create either, which aborts the process. Callbacks check this first and drop
// their result instead; nobody is left to receive it.
#pragma once

#include <napi.h>

#include "addon_data.h"

namespace senet_binding {

inline bool canRunJs(napi_env env) {
  // Call a no-op function: a terminating or stopping environment refuses. Plain C calls, so nothing throws.
  napi_value noop;
  napi_value global;
  napi_value result;
  if (napi_create_function(env, "senetLabProbe", NAPI_AUTO_LENGTH, [](napi_env, napi_callback_info) -> napi_value { return nullptr; },
                           nullptr, &noop) != napi_ok ||
      napi_get_global(env, &global) != napi_ok) {
    return false;
  }
  if (napi_call_function(env, global, noop, 0, nullptr, &result) == napi_ok) return true;
  napi_value ignored;
  napi_get_and_clear_last_exception(env, &ignored);
  return false;
}

// For deliveries of native results and events (completions.h): false when the environment is ending, which also
// closes it (addon_data.h) so the rest of its queued jobs are skipped and its training runs stop — in case a
// delivery runs in a terminating Worker before its cleanup hook (addon.cc) has closed it.
inline bool stillRunning(napi_env env) {
  if (canRunJs(env)) return true;
  AddonData::From(env).close();
  return false;
}

}  // namespace senet_binding
