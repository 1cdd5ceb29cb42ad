// Fuzz target: the checkpoint state.json reader (native/train/checkpoint_state.cpp):
// parse, read the progress, and compare the recorded options with those of
// a run resuming it. A refusal is std::invalid_argument (a "resume:" message);
// any other exception (e.g. a JSON type error from a field of the wrong type),
// a crash or a sanitizer report is a finding.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "train/checkpoint_state.h"

namespace {

// The options of a resuming run, as TrainOptions serializes them (the fields
// checkResumeSettings reads).
const nlohmann::json& resumingOptions() {
  static const nlohmann::json options = nlohmann::json::parse(R"({
    "batchSize": 32, "seed": 3, "shuffle": true, "dropLast": false, "shard": {"rank": 0, "worldSize": 1},
    "optimizer": {"type": "sgd", "lr": 0.1}, "distributed": null
  })");
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json state = senet::parseCheckpointState(text, "<fuzz>/state.json");
    senet::checkResumeSettings(state.value("options", nlohmann::json::object()), resumingOptions(), "<fuzz>");
    const senet::SavedProgress progress = senet::readSavedProgress(state, "<fuzz>/state.json");
    if (progress.iteration < 0 || progress.skippedBatches < 0 || progress.bestIteration < 0) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
