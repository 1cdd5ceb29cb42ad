#include "train/run_state.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "model/state_dict.h"
#include "train/checkpoint.h"

namespace senet {

namespace {

using json = nlohmann::json;

json bestJson(const RunProgress& p) {
  return {{"top1", p.best.top1}, {"top5", p.best.top5}, {"loss", p.best.loss}, {"iteration", p.bestIteration}};
}

// The data order and the optimizer state only continue correctly with the same settings.
void checkSameSettings(const json& saved, const TrainOptions& o, const std::string& dir) {
  const json now = o;
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
  if (saved.contains("optimizer") && saved["optimizer"].value("type", "") != o.optimizer.type) {
    throw std::invalid_argument("resume: optimizer.type is '" + o.optimizer.type + "' but the checkpoint in " + dir +
                                " was written with '" + saved["optimizer"].value("type", "") + "'");
  }
}

}  // namespace

std::string saveRunCheckpoint(const TrainOptions& o, const RunParts& parts, const RunProgress& progress,
                              const BatchOrder& order) {
  Checkpoint c;
  {
    auto lock = parts.model.lockShared();
    c.model = orderedStateDict(*parts.model.net());
    c.optimizer = parts.optimizer.stateTensors();
    if (parts.scaler) {
      for (auto& entry : parts.scaler->stateTensors()) c.optimizer.push_back(std::move(entry));
    }
  }
  c.modelMetadata = toMetadata(parts.model.options());
  const int64_t done = progress.iteration;
  c.state = {{"iteration", done}, {"epoch", order.epochOf(std::max<int64_t>(done - 1, 0))},
             {"positionInEpoch", done % order.stepsPerEpoch()}, {"stepsPerEpoch", order.stepsPerEpoch()},
             {"seed", o.seed}, {"skippedBatches", progress.skippedBatches}, {"options", json(o)}};
  if (progress.hasBest) c.state["best"] = bestJson(progress);
  return writeCheckpoint(o.outDir, done, c, o.keepCheckpoints);
}

RunProgress resumeRun(const TrainOptions& o, const RunParts& parts) {
  std::string dir;
  Checkpoint c = readLatestCheckpoint(o.resume, &dir);
  // Continuing in the same directory: whatever a killed writer left half-written goes.
  if (o.outDir == o.resume) removeStaleTemporaries(o.outDir);
  checkSameSettings(c.state.value("options", json::object()), o, dir);
  {
    auto lock = parts.model.lockExclusive();
    loadStateDict(*parts.model.net(), c.model, dir + "/model.safetensors");
    parts.optimizer.loadStateTensors(c.optimizer, dir + "/optimizer.safetensors");
    if (parts.scaler) parts.scaler->loadStateTensors(c.optimizer, dir + "/optimizer.safetensors");
  }
  RunProgress p;
  p.checkpoint = dir;
  p.iteration = c.state.value("iteration", int64_t{0});
  p.skippedBatches = c.state.value("skippedBatches", int64_t{0});
  if (c.state.contains("best") && c.state["best"].is_object()) {
    const json& best = c.state["best"];
    p.hasBest = true;
    p.best.top1 = best.value("top1", -1.0);
    p.best.top5 = best.value("top5", 0.0);
    p.best.loss = best.value("loss", 0.0);
    p.bestIteration = best.value("iteration", int64_t{0});
  }
  if (p.iteration > o.iterations) {
    throw std::invalid_argument("resume: the checkpoint is at iteration " + std::to_string(p.iteration) +
                                ", beyond iterations " + std::to_string(o.iterations));
  }
  return p;
}

}  // namespace senet
