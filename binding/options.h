// JS options → the native option structs through their JSON field lists (binding/js_json.h), and the model's
// options back. lib/ has already validated them with friendly messages; native code checks only what memory
// safety and termination need.
#pragma once

#include <napi.h>

#include "model/model.h"
#include "model/model_options.h"
#include "train/train_options.h"

namespace senet_binding {

senet::ModelOptions modelOptionsFromJs(const Napi::Object& object);
Napi::Object modelOptionsToJs(Napi::Env env, const senet::ModelOptions& options);

senet::TrainOptions trainOptionsFromJs(const Napi::Value& value);

// { amp?: 'bf16' | 'fp16' | false, channelsLast?: boolean, exact?: boolean }; anything else: defaults.
senet::InferenceSettings inferenceSettingsFromJs(const Napi::Value& value);

}  // namespace senet_binding
