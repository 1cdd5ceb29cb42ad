// Counts the native models alive in the process (all environments together):
// every senet::Model the binding creates goes through trackModel(), whose
// deleter runs when the last owner lets go (the JS object's dispose() or
// finalizer, and any predict or train still holding it). The test addon
// reports the count, so the memory tests can see a dropped model freed.
#pragma once

#include <cstdint>
#include <memory>

#include "model/model.h"

namespace senet_binding {

std::shared_ptr<senet::Model> trackModel(std::unique_ptr<senet::Model> model);
int64_t liveModels();

}  // namespace senet_binding
