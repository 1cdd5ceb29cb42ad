// train() for JS: a training run on the compute thread, its events and result delivered to the JS thread.
#pragma once

#include <napi.h>

namespace senet_binding {

// train(model, options, data, onEvent) -> { promise, stop() }
Napi::Value StartTraining(const Napi::CallbackInfo& info);

}  // namespace senet_binding
