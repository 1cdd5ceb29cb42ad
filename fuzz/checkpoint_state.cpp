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

// The options of a resuming run, as TrainOptions serializes them: those of the
// seed state.json (fuzz/corpus/checkpoint_state/state.json), so that mutated
// copies of it get past the settings check into the deeper comparisons.
const nlohmann::json& resumingOptions() {
  static const nlohmann::json options = nlohmann::json::parse(R"({
    "batchSize": 4, "seed": 3, "shuffle": true, "dropLast": true, "shard": {"rank": 0, "worldSize": 1},
    "optimizer": {"type": "sgd", "lr": 0.01, "momentum": 0.9}, "distributed": null
  })");
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json state;
  try {
    state = senet::parseCheckpointState(text, "<fuzz>/state.json");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  // Each reader on its own, so a refusal by one never hides the others from the fuzzer.
  try {
    const senet::SavedProgress progress = senet::readSavedProgress(state, "<fuzz>/state.json");
    if (progress.iteration < 0 || progress.skippedBatches < 0 || progress.bestIteration < 0) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  try {
    senet::checkResumeSettings(state.value("options", nlohmann::json::object()), resumingOptions(), "<fuzz>");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
