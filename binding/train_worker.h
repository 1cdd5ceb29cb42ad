// train(), evaluate() and learningRates() for JS.
#pragma once

#include <napi.h>

namespace senet_binding {

// train(model, options, data, onEvent) -> { promise, stop() }
Napi::Value StartTraining(const Napi::CallbackInfo& info);
// evaluate(model, data, batchSize) -> Promise<EvalResult>
Napi::Value Evaluate(const Napi::CallbackInfo& info);
// learningRates(trainOptions, count) -> Float64Array of the lr used at each iteration
Napi::Value LearningRates(const Napi::CallbackInfo& info);

}  // namespace senet_binding
