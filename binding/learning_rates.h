// learningRates() for JS: the schedule a training run would follow.
#pragma once

#include <napi.h>

namespace senet_binding {

// learningRates(trainOptions, count) -> Float64Array of the lr used at each iteration
Napi::Value LearningRates(const Napi::CallbackInfo& info);

}  // namespace senet_binding
