// Copies a JS options object into senet::ModelOptions. lib/ has already
// validated it with friendly messages; these checks keep the addon safe when
// called directly.
#pragma once

#include <napi.h>

#include "model/model_options.h"

namespace senet_binding {

senet::ModelOptions modelOptionsFromJs(const Napi::Object& object);
Napi::Object modelOptionsToJs(Napi::Env env, const senet::ModelOptions& options);

}  // namespace senet_binding
