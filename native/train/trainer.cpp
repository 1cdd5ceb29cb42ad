#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "runtime/device_settings.h"
#include "train/grad_scaler.h"
#include "train/masked_step.h"
#include "train/checkpoint.h"
#include "data/loader.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "model/state_dict.h"

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
          {"dropLast", o.dropLast},
          {"amp", o.amp.empty() ? json(false) : json(o.amp)}};
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

// restoreBuffers where `condition` (bool 0-dim, on the device) holds; no host sync.
void restoreBuffersWhere(torch::nn::Module& module, const std::vector<torch::Tensor>& saved, const torch::Tensor& condition) {
  torch::NoGradGuard noGrad;
  auto buffers = module.buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(torch::where(condition, saved[i], buffers[i]));
}

// Test-only switches so the CUDA code paths run (and are checked against the
// CPU path) on CPU-only machines: deferred sync uses the no-host-sync step;
// a grad scaler init > 0 uses fp16's loss scaling with fp32 math. Set through
// setTestSwitches() (the addon's _setTestSwitches) or the environment
// (SENET_TEST_DEFERRED_SYNC=1, SENET_TEST_GRAD_SCALER=<initial scale>). Not
// part of the public API.
std::atomic<bool> testDeferredSyncSwitch{false};
std::atomic<double> testGradScalerSwitch{0.0};

bool testDeferredSync() {
  const char* v = std::getenv("SENET_TEST_DEFERRED_SYNC");
  return testDeferredSyncSwitch.load() || (v && std::string(v) == "1");
}

double testGradScalerInit() {
  const char* v = std::getenv("SENET_TEST_GRAD_SCALER");
  return testGradScalerSwitch.load() > 0 ? testGradScalerSwitch.load() : v ? std::atof(v) : 0.0;
}

// Converts the model to channels_last for a run and back to the default
// layout afterwards (also when the run fails).
class ChannelsLastScope {
 public:
  ChannelsLastScope(Model& model, bool enable) : model_(model), enabled_(enable) {
    if (!enabled_) return;
    auto lock = model_.lockExclusive();
    convertMemoryFormat(*model_.net(), c10::MemoryFormat::ChannelsLast);
  }
  ~ChannelsLastScope() {
    if (!enabled_) return;
    try {
      auto lock = model_.lockExclusive();
      convertMemoryFormat(*model_.net(), c10::MemoryFormat::Contiguous);
    } catch (...) {
    }
  }
  ChannelsLastScope(const ChannelsLastScope&) = delete;
  ChannelsLastScope& operator=(const ChannelsLastScope&) = delete;

 private:
  Model& model_;
  bool enabled_;
};

}  // namespace

void setTestSwitches(bool deferredSync, double gradScalerInit) {
  testDeferredSyncSwitch.store(deferredSync);
  testGradScalerSwitch.store(gradScalerInit);
}

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
  ampDtype(o.amp);  // throws for an unknown value
  validateSchedule(o.schedule, o.iterations);
}

EvalResult evaluate(Model& model, std::shared_ptr<const DataSource> data, int64_t batchSize, int64_t workers,
                    const InferenceSettings& settings) {
  const auto amp = model.checkInferenceSettings(settings);
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
      auto x = batch.images.to(model.device(), /*non_blocking=*/true);
      if (settings.channelsLast) x = x.contiguous(c10::MemoryFormat::ChannelsLast);
      torch::Tensor logits;
      {
        AutocastGuard autocast(model.device().type(), amp);
        logits = net->forward(x);
      }
      metrics.add(logits.to(torch::kFloat32), batch.labels.to(model.device(), /*non_blocking=*/true));
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
  const bool onCuda = device.is_cuda();
  const auto amp = ampDtype(o.amp);
  if (amp && !onCuda) {
    throw std::invalid_argument("amp: '" + o.amp + "' needs a CUDA device (autocast in bf16/fp16 is a GPU speed-up), but the model is on " +
                                device.str() + "; valid values: false, 'bf16', 'fp16' (the last two on CUDA only)");
  }
  const bool channelsLast = o.channelsLast.value_or(onCuda);
  const InferenceSettings evalSettings{o.amp, channelsLast};
  // fp16 needs loss scaling (torch.cuda.amp.GradScaler); bf16 has fp32's range and does not.
  const double scalerInit = amp == c10::optional<at::ScalarType>(at::kHalf) ? 65536.0 : testGradScalerInit();
  std::unique_ptr<GradScaler> scaler = scalerInit > 0 ? std::make_unique<GradScaler>(device, scalerInit) : nullptr;
  // No host sync inside a step on CUDA: losses stay on the device and are read
  // at log/eval/checkpoint points; a step whose loss (or, with fp16, gradient)
  // is not finite is undone on the device (MaskedStep). That is exact for SGD
  // with dampening 0; AdamW keeps its step count on the host, so it (and SGD
  // with dampening) reads the loss every step as on CPU.
  const bool deferredSync = (onCuda || testDeferredSync()) && o.optimizer.type == "sgd" && o.optimizer.dampening == 0;
  // Undoing a step on the device costs a copy of the parameters and optimizer
  // state per step, so it is done only where a step may have to be skipped:
  // fp16 overflow and skipNonFinite. Without them a non-finite loss ends the
  // run at the next read-back anyway.
  const bool masked = scaler || o.skipNonFinite;
  std::optional<CudnnBenchmarkGuard> cudnnBenchmark;
  if (onCuda) cudnnBenchmark.emplace(o.cudnnBenchmark);
  ChannelsLastScope memoryFormat(model, channelsLast);
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
    if (scaler) scaler->loadStateTensors(c.optimizer, dir + "/optimizer.safetensors");
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
      if (scaler) {
        for (auto& entry : scaler->stateTensors()) c.optimizer.push_back(std::move(entry));
      }
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
    EvalResult r = evaluate(model, testSet, o.evalBatchSize, o.workers, evalSettings);
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

  auto nonFiniteError = [&](double value, int64_t done, int64_t epoch, const std::string& note) {
    return std::runtime_error("training stopped: the loss is " + std::to_string(value) + " at iteration " +
                              std::to_string(done) + " (epoch " + std::to_string(epoch) + ")" + note +
                              (result.checkpointPath.empty() ? std::string("; no checkpoint was written yet")
                                                             : "; the last good checkpoint is " + result.checkpointPath) +
                              ". Lower the learning rate or pass skipNonFinite: true to skip such batches");
  };
  // Deferred (no-sync) mode: the losses of steps not yet read back.
  struct PendingLoss {
    int64_t done, epoch;
    double lr;
    torch::Tensor loss;
  };
  std::vector<PendingLoss> pending;
  // One host sync for all pending steps; then the same bookkeeping as the per-step path.
  auto flushPending = [&]() {
    if (pending.empty()) return;
    std::vector<torch::Tensor> losses;
    for (const auto& p : pending) losses.push_back(p.loss.reshape({}));
    const auto values = torch::stack(losses).to(torch::kCPU).to(torch::kFloat64);
    const auto* v = values.data_ptr<double>();
    const int64_t detectedAt = pending.back().done;
    for (size_t i = 0; i < pending.size(); ++i) {
      const auto& p = pending[i];
      if (std::isfinite(v[i])) {
        windowLoss += v[i];
        ++windowSteps;
        continue;
      }
      if (!o.skipNonFinite) {
        pending.clear();
        throw nonFiniteError(v[i], p.done, p.epoch,
                             " (read back at iteration " + std::to_string(detectedAt) +
                                 ": on CUDA losses are checked at log, eval and checkpoint points" +
                                 (masked ? "; that step's update was not applied)"
                                         : "; the weights in memory include the updates since, use the checkpoint)"));
      }
      ++result.skippedBatches;
      TrainEvent e{"skip", p.done, p.epoch, v[i], p.lr};
      emit(e);
    }
    pending.clear();
  };
  std::vector<torch::Tensor> parameters = net->parameters();
  MaskedStep maskedStep;
  auto gradients = [&]() {
    std::vector<torch::Tensor> grads;
    for (const auto& p : parameters) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
    return grads;
  };

  while (iteration < o.iterations) {
    if (stop.load()) {
      result.stopped = true;
      break;
    }
    Batch batch = loader.batch(iteration);
    const int64_t batchImages = batch.labels.size(0);
    // Pinned batches (pinMemory on CUDA) make these copies asynchronous.
    auto x = batch.images.to(device, /*non_blocking=*/true);
    if (channelsLast) x = x.contiguous(c10::MemoryFormat::ChannelsLast);
    const auto y = batch.labels.to(device, /*non_blocking=*/true);
    const double lr = learningRate(o.schedule, o.optimizer.lr, iteration, o.iterations);
    const int64_t done = iteration + 1;
    const int64_t epoch = order.epochOf(iteration);
    double lossValue = 0;
    {
      auto lock = model.lockExclusive();
      net->train();
      optimizer.zeroGrad();
      // A skipped batch must not leave its statistics in BN's running buffers.
      const auto buffers = o.skipNonFinite ? snapshotBuffers(*net) : std::vector<torch::Tensor>{};
      torch::Tensor loss;
      {
        AutocastGuard autocast(device.type(), amp);
        loss = torch::nn::functional::cross_entropy(net->forward(x), y, lossOptions);
      }
      if (deferredSync && !masked) {
        // A non-finite loss stops the run at the next read-back; until then its update is applied.
        pending.push_back({done, epoch, lr, loss.detach()});
        loss.backward();
        optimizer.step(lr);
      } else if (deferredSync) {
        const auto detached = loss.detach();
        pending.push_back({done, epoch, lr, detached});
        const auto bad = detached.isfinite().logical_not();
        (scaler ? scaler->scale(loss) : loss).backward();
        auto skip = bad;
        torch::Tensor foundInf;
        if (scaler) {
          foundInf = scaler->unscale(gradients());
          skip = skip.logical_or(foundInf.gt(0));
        }
        maskedStep.snapshot(parameters, optimizer.stateTensors());
        optimizer.step(lr);
        maskedStep.commit(skip, parameters, optimizer.stateTensors());
        if (o.skipNonFinite) restoreBuffersWhere(*net, buffers, bad);
        if (scaler) scaler->update(foundInf);
      } else {
        // One host sync per step: the NaN/inf check must happen before the update.
        lossValue = loss.item<double>();
        if (std::isfinite(lossValue)) {
          if (scaler) {
            scaler->scale(loss).backward();
            const auto foundInf = scaler->unscale(gradients());
            // As GradScaler.step with a non-fused optimizer: skip the update on inf/NaN gradients.
            if (foundInf.item<float>() == 0) optimizer.step(lr);
            scaler->update(foundInf);
          } else {
            loss.backward();
            optimizer.step(lr);
          }
        } else if (o.skipNonFinite) {
          restoreBuffers(*net, buffers);
          if (scaler) scaler->update(torch::ones({}, torch::TensorOptions().dtype(torch::kFloat32).device(device)));
        }
      }
    }
    if (!deferredSync) {
      if (!std::isfinite(lossValue)) {
        if (!o.skipNonFinite) throw nonFiniteError(lossValue, done, epoch, "");
        ++result.skippedBatches;
        TrainEvent e{"skip", done, epoch, lossValue, lr};
        emit(e);
      } else {
        windowLoss += lossValue;
        ++windowSteps;
      }
    }
    windowImages += batchImages;
    imagesSeen += batchImages;
    iteration = done;

    const bool logNow = done % o.logEvery == 0 || done == o.iterations;
    const bool evalNow = o.evalEvery > 0 && done % o.evalEvery == 0;
    const bool checkpointNow = o.checkpointEvery > 0 && done % o.checkpointEvery == 0;
    if (logNow || evalNow || checkpointNow || stop.load()) flushPending();
    if (logNow) {
      const double seconds = secondsSince(windowStart);
      TrainEvent e{"step", done, epoch, windowSteps ? windowLoss / windowSteps : NAN, lr,
                   seconds > 0 ? windowImages / seconds : 0};
      emit(e);
      windowStart = Clock::now();
      windowLoss = 0;
      windowSteps = windowImages = 0;
    }
    if (evalNow) {
      runEval(done);
      lastEval = done;
    }
    if (checkpointNow) {
      saveCheckpoint(done);
      lastCheckpoint = done;
    }
  }
  flushPending();

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
