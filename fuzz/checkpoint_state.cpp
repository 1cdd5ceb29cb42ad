// Fuzz target: the checkpoint state.json reader (native/train/checkpoint_state.cpp):
// parse, then read the progress and run shape it records (iteration, counters,
// the best evaluation, the number of processes, the optimizer type). A refusal
// is std::invalid_argument (a "resume:" message); any other exception (e.g. a
// JSON type error from a field of the wrong type), a crash, a sanitizer report
// or a value outside what the reader promises is a finding.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "train/checkpoint_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json state;
  try {
    state = senet::parseCheckpointState(text, "<fuzz>/state.json");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  try {
    const senet::SavedProgress progress = senet::readSavedProgress(state, "<fuzz>/state.json");
    if (progress.iteration < 0 || progress.skippedBatches < 0 || progress.bestIteration < 0 || progress.worldSize < 1) {
      __builtin_trap();
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
