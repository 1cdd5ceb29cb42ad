// A checkpoint's state.json, read back: the JSON itself, the progress it
// records, and the check that a resumed run keeps the settings its data order
// and optimizer state depend on. Text in, values out, no libtorch and no file
// I/O, so this reader of untrusted files can be fuzzed on its own (fuzz/).
// Errors are std::invalid_argument starting with "resume:" and naming the file.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace senet {

// What state.json records about the run's progress.
struct SavedProgress {
  int64_t iteration = 0;  // completed iterations
  int64_t skippedBatches = 0;
  bool hasBest = false;   // an evaluation happened
  double bestTop1 = -1, bestTop5 = 0, bestLoss = 0;
  int64_t bestIteration = 0;
};

// Parses state.json's text; it must be a JSON object. `path` names the file.
nlohmann::json parseCheckpointState(const std::string& text, const std::string& path);

// The progress recorded in a parsed state.json (absent fields take their defaults).
SavedProgress readSavedProgress(const nlohmann::json& state, const std::string& path);

// Refuses to resume when the checkpoint's options (`saved`, state.json's
// "options") differ from the run's (`now`, the TrainOptions as JSON) in a
// setting the data order or the optimizer state depend on, naming it.
// `dir` names the checkpoint.
void checkResumeSettings(const nlohmann::json& saved, const nlohmann::json& now, const std::string& dir);

}  // namespace senet
