// A checkpoint's state.json, read back: the JSON itself and the progress and
// run shape it records, every field type-checked (a damaged or foreign file is
// refused naming the field, never a JSON type error or a float-to-int
// overflow). Text in, values out, no libtorch and no file I/O, so this reader
// of untrusted files can be fuzzed on its own (fuzz/). Which settings a
// resumed run may change is not decided here: that policy has one owner,
// lib/options/resume.ts, which reads these values (readCheckpoint()).
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
  int64_t worldSize = 1;       // processes of the run (options.distributed.worldSize; 1 when not distributed)
  std::string optimizerType;   // options.optimizer.type ("" when not recorded)
};

// Parses state.json's text; it must be a JSON object. `path` names the file.
nlohmann::json parseCheckpointState(const std::string& text, const std::string& path);

// The progress recorded in a parsed state.json (absent fields take their defaults).
SavedProgress readSavedProgress(const nlohmann::json& state, const std::string& path);

}  // namespace senet
