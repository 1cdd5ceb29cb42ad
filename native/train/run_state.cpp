#include "train/run_state.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "model/state_dict.h"
#include "train/checkpoint.h"
#include "train/checkpoint_state.h"

namespace senet {

namespace {

using json = nlohmann::json;

json bestJson(const RunProgress& p) {
  return {{"top1", p.best.top1}, {"top5", p.best.top5}, {"loss", p.best.loss}, {"iteration", p.bestIteration}};
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
  {
    auto lock = parts.model.lockExclusive();
    loadStateDict(*parts.model.net(), c.model, dir + "/model.safetensors");
    parts.optimizer.loadStateTensors(c.optimizer, dir + "/optimizer.safetensors");
    if (parts.scaler) parts.scaler->loadStateTensors(c.optimizer, dir + "/optimizer.safetensors");
  }
  const SavedProgress saved = readSavedProgress(c.state, dir + "/state.json");
  RunProgress p;
  p.checkpoint = dir;
  p.iteration = saved.iteration;
  p.skippedBatches = saved.skippedBatches;
  p.hasBest = saved.hasBest;
  p.best.top1 = saved.bestTop1;
  p.best.top5 = saved.bestTop5;
  p.best.loss = saved.bestLoss;
  p.bestIteration = saved.bestIteration;
  if (p.iteration > o.iterations) {
    throw std::invalid_argument("resume: the checkpoint is at iteration " + std::to_string(p.iteration) +
                                ", beyond iterations " + std::to_string(o.iterations));
  }
  return p;
}

}  // namespace senet
