#include "trainer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "checkpoint.h"
#include "loader.h"
#include "lr_schedule.h"
#include "optimizer.h"
#include "state_dict.h"

namespace senet {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

json evalJson(const EvalResult& e) {
  json perClass = json::array();
  for (double v : e.perClassAccuracy) perClass.push_back(std::isnan(v) ? json(nullptr) : json(v));
  return {{"top1", e.top1}, {"top5", e.top5}, {"loss", e.loss}, {"count", e.count}, {"perClassAccuracy", perClass}};
}

json eventJson(const TrainEvent& e) {
  json j = {{"type", e.type}, {"iteration", e.iteration}, {"epoch", e.epoch}};
  if (e.type == "step" || e.type == "skip") {
    j["loss"] = std::isfinite(e.loss) ? json(e.loss) : json(std::to_string(e.loss));
    j["lr"] = e.lr;
    if (e.type == "step") j["imagesPerSecond"] = e.imagesPerSecond;
  }
  if (e.type == "eval") j.update(evalJson(e.eval));
  if (!e.path.empty()) j["path"] = e.path;
  j["time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return j;
}

json optionsJson(const TrainOptions& o) {
  return {{"iterations", o.iterations},
          {"batchSize", o.batchSize},
          {"optimizer", {{"type", o.optimizer.type}, {"lr", o.optimizer.lr}, {"momentum", o.optimizer.momentum},
                         {"dampening", o.optimizer.dampening}, {"nesterov", o.optimizer.nesterov},
                         {"weightDecay", o.optimizer.weightDecay}, {"beta1", o.optimizer.beta1},
                         {"beta2", o.optimizer.beta2}, {"eps", o.optimizer.eps},
                         {"decayNormAndBias", o.optimizer.decayNormAndBias}}},
          {"schedule", {{"type", o.schedule.type}, {"stepSize", o.schedule.stepSize},
                        {"milestones", o.schedule.milestones}, {"gamma", o.schedule.gamma},
                        {"finalLr", o.schedule.finalLr}, {"warmupIterations", o.schedule.warmupIterations},
                        {"warmupStartFactor", o.schedule.warmupStartFactor}}},
          {"labelSmoothing", o.labelSmoothing},
          {"seed", o.seed},
          {"shuffle", o.shuffle},
          {"dropLast", o.dropLast}};
}

// Appends every event to <outDir>/metrics.jsonl and forwards it.
class EventLog {
 public:
  EventLog(const std::string& path, const EventSink& sink) : sink_(sink) {
    if (!path.empty()) {
      file_.open(path, std::ios::app);
      if (!file_) throw std::runtime_error("cannot open metrics file '" + path + "'");
    }
  }
  void operator()(const TrainEvent& e) {
    if (file_.is_open()) {
      file_ << eventJson(e).dump() << '\n';
      file_.flush();
    }
    sink_(e);
  }

 private:
  const EventSink& sink_;
  std::ofstream file_;
};

std::vector<torch::Tensor> snapshotBuffers(const torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const auto& b : module.buffers()) out.push_back(b.clone());
  return out;
}

void restoreBuffers(torch::nn::Module& module, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard noGrad;
  auto buffers = module.buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
}

}  // namespace

void validateTrainOptions(const TrainOptions& o) {
  auto positive = [](int64_t v, const char* field) {
    if (v < 1) throw std::invalid_argument(std::string(field) + " must be >= 1, got " + std::to_string(v));
  };
  positive(o.iterations, "iterations");
  positive(o.batchSize, "batchSize");
  positive(o.logEvery, "logEvery");
  positive(o.evalBatchSize, "evalBatchSize");
  if (o.evalEvery < 0) throw std::invalid_argument("evalEvery must be >= 0");
  if (o.checkpointEvery < 0) throw std::invalid_argument("checkpointEvery must be >= 0");
  if (!(o.optimizer.lr > 0) || !std::isfinite(o.optimizer.lr)) throw std::invalid_argument("optimizer.lr must be > 0");
  if (o.optimizer.type != "sgd" && o.optimizer.type != "adamw") {
    throw std::invalid_argument("optimizer.type: unknown '" + o.optimizer.type + "'; valid: sgd, adamw");
  }
  if (o.optimizer.nesterov && (o.optimizer.momentum <= 0 || o.optimizer.dampening != 0)) {
    throw std::invalid_argument("optimizer.nesterov requires momentum > 0 and dampening 0");
  }
  if (!(o.labelSmoothing >= 0 && o.labelSmoothing <= 1)) throw std::invalid_argument("labelSmoothing must be in [0, 1]");
  if (o.resume && o.outDir.empty()) throw std::invalid_argument("resume needs outDir");
  validateSchedule(o.schedule, o.iterations);
}

EvalResult evaluate(Model& model, std::shared_ptr<const DataSource> data, int64_t batchSize, int64_t workers) {
  LoaderOptions options;
  options.batchSize = batchSize;
  options.shuffle = false;
  options.dropLast = false;
  options.workers = workers;
  options.pinMemory = model.device().is_cuda();
  Loader loader(std::move(data), options);
  auto lock = model.lockExclusive();
  ResNet& net = model.net();
  const bool wasTraining = net->is_training();
  net->eval();
  MetricAccumulator metrics(model.options().numClasses);
  {
    c10::InferenceMode inference;
    for (int64_t step = 0; step < loader.order().stepsPerEpoch(); ++step) {
      Batch batch = loader.batch(step);
      const auto logits = net->forward(batch.images.to(model.device(), /*non_blocking=*/true));
      metrics.add(logits, batch.labels);
    }
  }
  if (wasTraining) net->train();
  return metrics.result();
}

TrainResult train(Model& model, std::shared_ptr<const DataSource> trainSet, std::shared_ptr<const DataSource> testSet,
                  const TrainOptions& o, const EventSink& sink, const std::atomic<bool>& stop) {
  validateTrainOptions(o);
  const int64_t numClasses = model.options().numClasses;
  validateSource(*trainSet, model.options().inChannels, numClasses, "data.train");
  if (testSet) validateSource(*testSet, model.options().inChannels, numClasses, "data.test");

  TrainResult result;
  if (!o.outDir.empty()) {
    makeDirectories(o.outDir);
    result.metricsPath = o.outDir + "/metrics.jsonl";
  }
  EventLog emit(result.metricsPath, sink);
  ResNet& net = model.net();
  const torch::Device device = model.device();
  Optimizer optimizer(optimizedParameters(*net, o.optimizer), o.optimizer);
  LoaderOptions loaderOptions;
  loaderOptions.batchSize = o.batchSize;
  loaderOptions.shuffle = o.shuffle;
  loaderOptions.dropLast = o.dropLast;
  loaderOptions.seed = o.seed;
  loaderOptions.workers = o.workers;
  loaderOptions.prefetch = o.prefetch;
  loaderOptions.rank = o.rank;
  loaderOptions.worldSize = o.worldSize;
  loaderOptions.pinMemory = device.is_cuda();
  Loader loader(trainSet, loaderOptions);
  const BatchOrder& order = loader.order();

  int64_t iteration = 0;
  double bestTop1 = -1;
  if (o.resume) {
    std::string dir;
    Checkpoint c = readLatestCheckpoint(o.outDir, &dir);
    // The data order and the optimizer state only continue correctly with the same settings.
    const json saved = c.state.value("options", json::object());
    const json now = optionsJson(o);
    for (const char* key : {"batchSize", "seed", "shuffle", "dropLast"}) {
      if (saved.contains(key) && saved[key] != now[key]) {
        throw std::invalid_argument(std::string("resume: ") + key + " is " + now[key].dump() + " but the checkpoint in " + dir +
                                    " was written with " + saved[key].dump() + "; resume with the same value or start a new run");
      }
    }
    if (saved.contains("optimizer") && saved["optimizer"].value("type", "") != o.optimizer.type) {
      throw std::invalid_argument("resume: optimizer.type is '" + o.optimizer.type + "' but the checkpoint in " + dir +
                                  " was written with '" + saved["optimizer"].value("type", "") + "'");
    }
    auto lock = model.lockExclusive();
    loadStateDict(*net, c.model, dir + "/model.safetensors");
    optimizer.loadStateTensors(c.optimizer, dir + "/optimizer.safetensors");
    iteration = c.state.value("iteration", int64_t{0});
    result.skippedBatches = c.state.value("skippedBatches", int64_t{0});
    if (c.state.contains("best") && c.state["best"].is_object()) {
      bestTop1 = c.state["best"].value("top1", -1.0);
      result.bestEval.top1 = bestTop1;
      result.bestEval.top5 = c.state["best"].value("top5", 0.0);
      result.bestEval.loss = c.state["best"].value("loss", 0.0);
      result.bestIteration = c.state["best"].value("iteration", int64_t{0});
    }
    if (iteration > o.iterations) {
      throw std::invalid_argument("resume: the checkpoint is at iteration " + std::to_string(iteration) +
                                  ", beyond iterations " + std::to_string(o.iterations));
    }
  }
  result.startIteration = iteration;

  auto saveCheckpoint = [&](int64_t done) {
    if (o.outDir.empty()) return;
    Checkpoint c;
    {
      auto lock = model.lockShared();
      c.model = orderedStateDict(*net);
      c.optimizer = optimizer.stateTensors();
    }
    c.modelMetadata = toMetadata(model.options());
    c.state = {{"iteration", done}, {"epoch", order.epochOf(std::max<int64_t>(done - 1, 0))},
               {"positionInEpoch", done % order.stepsPerEpoch()}, {"stepsPerEpoch", order.stepsPerEpoch()},
               {"seed", o.seed}, {"skippedBatches", result.skippedBatches}, {"options", optionsJson(o)}};
    if (bestTop1 >= 0) {
      c.state["best"] = {{"top1", result.bestEval.top1}, {"top5", result.bestEval.top5},
                         {"loss", result.bestEval.loss}, {"iteration", result.bestIteration}};
    }
    result.checkpointPath = writeCheckpoint(o.outDir, done, c, o.keepCheckpoints);
    TrainEvent e{"checkpoint", done, order.epochOf(std::max<int64_t>(done - 1, 0))};
    e.path = result.checkpointPath;
    emit(e);
  };
  auto runEval = [&](int64_t done) {
    if (!testSet) return;
    EvalResult r = evaluate(model, testSet, o.evalBatchSize, o.workers);
    result.hasEval = true;
    result.finalEval = r;
    if (r.top1 > bestTop1) {
      bestTop1 = r.top1;
      result.bestEval = r;
      result.bestIteration = done;
    }
    TrainEvent e{"eval", done, order.epochOf(std::max<int64_t>(done - 1, 0))};
    e.eval = r;
    emit(e);
  };

  const auto started = Clock::now();
  auto windowStart = Clock::now();
  double windowLoss = 0;
  int64_t windowSteps = 0, windowImages = 0, imagesSeen = 0;
  int64_t lastCheckpoint = -1, lastEval = -1;
  const auto lossOptions = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.labelSmoothing);

  while (iteration < o.iterations) {
    if (stop.load()) {
      result.stopped = true;
      break;
    }
    Batch batch = loader.batch(iteration);
    const int64_t batchImages = batch.labels.size(0);
    const auto x = batch.images.to(device, /*non_blocking=*/true);
    const auto y = batch.labels.to(device, /*non_blocking=*/true);
    const double lr = learningRate(o.schedule, o.optimizer.lr, iteration, o.iterations);
    double lossValue;
    {
      auto lock = model.lockExclusive();
      net->train();
      optimizer.zeroGrad();
      // A skipped batch must not leave its statistics in BN's running buffers.
      const auto buffers = o.skipNonFinite ? snapshotBuffers(*net) : std::vector<torch::Tensor>{};
      const auto loss = torch::nn::functional::cross_entropy(net->forward(x), y, lossOptions);
      // One host sync per step: the NaN/inf check must happen before the update.
      lossValue = loss.item<double>();
      if (std::isfinite(lossValue)) {
        loss.backward();
        optimizer.step(lr);
      } else if (o.skipNonFinite) {
        restoreBuffers(*net, buffers);
      }
    }
    const int64_t done = iteration + 1;
    const int64_t epoch = order.epochOf(iteration);
    if (!std::isfinite(lossValue)) {
      if (!o.skipNonFinite) {
        throw std::runtime_error("training stopped: the loss is " + std::to_string(lossValue) + " at iteration " +
                                 std::to_string(done) + " (epoch " + std::to_string(epoch) + ")" +
                                 (result.checkpointPath.empty() ? std::string("; no checkpoint was written yet")
                                                                : "; the last good checkpoint is " + result.checkpointPath) +
                                 ". Lower the learning rate or pass skipNonFinite: true to skip such batches");
      }
      ++result.skippedBatches;
      TrainEvent e{"skip", done, epoch, lossValue, lr};
      emit(e);
    } else {
      windowLoss += lossValue;
      ++windowSteps;
    }
    windowImages += batchImages;
    imagesSeen += batchImages;
    iteration = done;

    if (done % o.logEvery == 0 || done == o.iterations) {
      const double seconds = secondsSince(windowStart);
      TrainEvent e{"step", done, epoch, windowSteps ? windowLoss / windowSteps : NAN, lr,
                   seconds > 0 ? windowImages / seconds : 0};
      emit(e);
      windowStart = Clock::now();
      windowLoss = 0;
      windowSteps = windowImages = 0;
    }
    if (o.evalEvery > 0 && done % o.evalEvery == 0) {
      runEval(done);
      lastEval = done;
    }
    if (o.checkpointEvery > 0 && done % o.checkpointEvery == 0) {
      saveCheckpoint(done);
      lastCheckpoint = done;
    }
  }

  result.iterations = iteration;
  if (!result.stopped && lastEval != iteration) runEval(iteration);
  if (lastCheckpoint != iteration) saveCheckpoint(iteration);
  if (!o.outDir.empty()) {
    result.weightsPath = o.outDir + "/model.safetensors";
    auto lock = model.lockShared();
    writeSafetensors(result.weightsPath, orderedStateDict(*net), toMetadata(model.options()));
  }
  result.wallSeconds = secondsSince(started);
  result.imagesPerSecond = result.wallSeconds > 0 ? imagesSeen / result.wallSeconds : 0;
  TrainEvent end{"end", iteration, order.epochOf(std::max<int64_t>(iteration - 1, 0))};
  end.path = result.weightsPath;
  emit(end);
  return result;
}

}  // namespace senet
