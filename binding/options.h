// JS model options <-> senet::ModelOptions through its JSON field list
// (binding/js_json.h). lib/ has already validated them with friendly
// messages; Model's constructor checks them again for direct callers.
#pragma once

#include <napi.h>

#include "model/model_options.h"

namespace senet_binding {

senet::ModelOptions modelOptionsFromJs(const Napi::Object& object);
Napi::Object modelOptionsToJs(Napi::Env env, const senet::ModelOptions& options);

}  // namespace senet_binding
