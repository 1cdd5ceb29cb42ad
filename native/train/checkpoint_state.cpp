#include "train/checkpoint_state.h"

#include <stdexcept>

namespace senet {

using json = nlohmann::json;

json parseCheckpointState(const std::string& text, const std::string& path) {
  json state = json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.is_object()) {
    throw std::invalid_argument("resume: '" + path + "' is not valid JSON");
  }
  return state;
}

SavedProgress readSavedProgress(const json& state, const std::string& path) {
  SavedProgress p;
  p.iteration = state.value("iteration", int64_t{0});
  p.skippedBatches = state.value("skippedBatches", int64_t{0});
  if (state.contains("best") && state["best"].is_object()) {
    const json& best = state["best"];
    p.hasBest = true;
    p.bestTop1 = best.value("top1", -1.0);
    p.bestTop5 = best.value("top5", 0.0);
    p.bestLoss = best.value("loss", 0.0);
    p.bestIteration = best.value("iteration", int64_t{0});
  }
  return p;
}

void checkResumeSettings(const json& saved, const json& now, const std::string& dir) {
  for (const char* key : {"batchSize", "seed", "shuffle", "dropLast", "shard"}) {
    if (saved.contains(key) && saved[key] != now[key]) {
      throw std::invalid_argument(std::string("resume: ") + key + " is " + now[key].dump() + " but the checkpoint in " + dir +
                                  " was written with " + saved[key].dump() + "; resume with the same value or start a new run");
    }
  }
  // Each process's data order depends on the number of processes too.
  const auto worldSize = [](const json& options) {
    return options.contains("distributed") && options["distributed"].is_object() ? options["distributed"].value("worldSize", 1) : 1;
  };
  if (saved.contains("distributed") && worldSize(saved) != worldSize(now)) {
    throw std::invalid_argument("resume: the run has " + std::to_string(worldSize(now)) + " process(es) but the checkpoint in " +
                                dir + " was written by " + std::to_string(worldSize(saved)) +
                                "; resume with the same number of processes (the data order depends on it)");
  }
  const std::string optimizerType = now["optimizer"].value("type", "");
  if (saved.contains("optimizer") && saved["optimizer"].value("type", "") != optimizerType) {
    throw std::invalid_argument("resume: optimizer.type is '" + optimizerType + "' but the checkpoint in " + dir +
                                " was written with '" + saved["optimizer"].value("type", "") + "'");
  }
}

}  // namespace senet
