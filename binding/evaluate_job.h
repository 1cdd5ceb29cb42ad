// evaluate() and learningRates() for JS.
#pragma once

#include <napi.h>

namespace senet_binding {

// evaluate(model, data, batchSize, workers, settings) -> Promise<EvalResult>
Napi::Value Evaluate(const Napi::CallbackInfo& info);

}  // namespace senet_binding
