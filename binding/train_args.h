// JS → native training options and in-memory datasets (copied once per run).
#pragma once

#include <napi.h>

#include "dataset.h"
#include "train_options.h"

namespace senet_binding {

senet::TrainOptions trainOptionsFromJs(const Napi::Object& object);

// { images: Uint8Array | Float32Array, labels: Int32Array, shape: [N, C, H, W], mean?: number[], std?: number[] }
senet::Dataset datasetFromJs(const Napi::Object& object, const std::string& field);

}  // namespace senet_binding
