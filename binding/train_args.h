// JS → native training options and in-memory datasets (copied once per run).
#pragma once

#include <napi.h>

#include <memory>

#include "data/data_source.h"
#include "model/model.h"
#include "train/train_options.h"

namespace senet_binding {

// lib/options resolves and validates them first (see binding/js_json.h).
senet::TrainOptions trainOptionsFromJs(const Napi::Value& value);

// { amp?: 'bf16' | 'fp16' | false, channelsLast?: boolean } (validated in lib/); anything else: defaults.
senet::InferenceSettings inferenceSettingsFromJs(const Napi::Value& value);

// A Dataset object from openDataset(), or in-memory arrays:
// { images: Uint8Array | Float32Array, labels: Int32Array, shape: [N, C, H, W], mean?: number[], std?: number[] }
std::shared_ptr<senet::DataSource> dataSourceFromJs(const Napi::Value& value, const std::string& field);

}  // namespace senet_binding
