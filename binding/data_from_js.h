// JS training and test data → a native DataSource: a Dataset object from openDataset(), or in-memory arrays
// (copied once per run into tensors the run owns).
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "data/data_source.h"

namespace senet_binding {

// A Dataset object from openDataset(), or in-memory arrays:
// { images: Uint8Array | Float32Array, labels: Int32Array, shape: [N, C, H, W], mean?: number[], std?: number[] }
std::shared_ptr<senet::DataSource> dataSourceFromJs(const Napi::Value& value, const std::string& field);

}  // namespace senet_binding
