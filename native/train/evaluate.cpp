#include "train/evaluate.h"

#include "data/loader.h"
#include "runtime/device_settings.h"

namespace senet {

EvalResult evaluate(Model& model, std::shared_ptr<const DataSource> data, int64_t batchSize, int64_t workers,
                    const InferenceSettings& settings, const EvalShard& shard) {
  const auto amp = model.checkInferenceSettings(settings);
  LoaderOptions options;
  options.batchSize = batchSize;
  options.shuffle = false;
  options.dropLast = false;
  options.workers = workers;
  options.rank = shard.rank;
  options.worldSize = shard.worldSize;
  options.padShards = false;
  options.pinMemory = model.device().is_cuda();
  Loader loader(std::move(data), options);
  auto lock = model.lockForEvaluation();
  ResNet& net = model.net();
  const bool wasTraining = net->is_training();
  net->eval();
  MetricAccumulator metrics(model.options().numClasses);
  {
    c10::InferenceMode inference;
    for (int64_t step = 0; step < loader.order().stepsPerEpoch(); ++step) {
      Batch batch = loader.batch(step);
      auto x = batch.images.to(model.device(), /*non_blocking=*/true);
      if (settings.channelsLast) x = x.contiguous(c10::MemoryFormat::ChannelsLast);
      torch::Tensor logits;
      {
        AutocastGuard autocast(model.device().type(), amp);
        logits = net->forward(x);
      }
      metrics.add(logits.to(torch::kFloat32), batch.labels.to(model.device(), /*non_blocking=*/true));
    }
    // Inside inference mode: the totals are inference tensors, summed in place.
    if (shard.combine) shard.combine(metrics);
  }
  if (wasTraining) net->train();
  return metrics.result();
}

}  // namespace senet
