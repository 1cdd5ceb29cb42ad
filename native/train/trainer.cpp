#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "data/loader.h"
#include "io/safetensors.h"
#include "model/state_dict.h"
#include "runtime/compute_thread.h"
#include "runtime/device_settings.h"
#include "train/checkpoint.h"
#include "train/data_parallel.h"
#include "train/evaluate.h"
#include "train/grad_scaler.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/run_state.h"
#include "train/step.h"

namespace senet {

void to_json(WireJson& j, const TrainResult& r) {
  auto pathOrNull = [](const std::string& path) { return path.empty() ? WireJson(nullptr) : WireJson(path); };
  j = {{"finalEval", r.hasEval ? WireJson(r.finalEval) : WireJson(nullptr)},
       {"bestEval", r.bestIteration > 0 ? evalMetricsJson(r.bestEval) : WireJson(nullptr)},
       {"bestIteration", r.bestIteration},
       {"iterations", r.iterations},
       {"startIteration", r.startIteration},
       {"wallSeconds", r.wallSeconds},
       {"imagesPerSecond", r.imagesPerSecond},
       {"communicationSeconds", r.communicationSeconds},
       {"stopped", r.stopped},
       {"skippedBatches", r.skippedBatches},
       {"paths",
        {{"checkpoint", pathOrNull(r.checkpointPath)},
         {"weights", pathOrNull(r.weightsPath)},
         {"metrics", pathOrNull(r.metricsPath)}}}};
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

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

// fp16 needs loss scaling (torch.cuda.amp.GradScaler); bf16 has fp32's range and does not.
std::unique_ptr<GradScaler> gradScalerFor(std::optional<at::ScalarType> amp, const torch::Device& device) {
  const double init = amp == std::optional<at::ScalarType>(at::kHalf) ? 65536.0 : stepOverrides().gradScalerInit;
  return init > 0 ? std::make_unique<GradScaler>(device, init) : nullptr;
}

LoaderOptions trainLoaderOptions(const TrainOptions& o, const torch::Device& device, const DataParallel* parallel) {
  LoaderOptions l;
  l.batchSize = o.batchSize;
  l.shuffle = o.shuffle;
  l.dropLast = o.dropLast;
  l.seed = o.seed;
  l.workers = o.workers;
  l.prefetch = o.prefetch;
  // A data-parallel run shards the data by rank (DistributedSampler).
  l.rank = parallel ? parallel->rank() : o.shard.rank;
  l.worldSize = parallel ? parallel->worldSize() : o.shard.worldSize;
  l.pinMemory = device.is_cuda();  // makes the copies to the GPU asynchronous
  return l;
}

// Losses and images between two step events.
struct Window {
  Clock::time_point start = Clock::now();
  double lossSum = 0;
  int64_t steps = 0, images = 0;
};

class TrainingRun {
 public:
  TrainingRun(Model& model, std::shared_ptr<const DataSource> trainSet, std::shared_ptr<const DataSource> testSet,
              const TrainOptions& options, const EventSink& sink, const std::atomic<bool>& stop)
      : o_(options),
        model_(model),
        device_(model.device()),
        testSet_(std::move(testSet)),
        stop_(stop),
        amp_(model.checkInferenceSettings(InferenceSettings{options.amp, false})),  // fp16 only on CUDA
        channelsLast_(options.channelsLast.value_or(device_.is_cuda())),
        parallel_(options.distributed ? std::make_unique<DataParallel>(*options.distributed, model) : nullptr),
        writes_(!o_.outDir.empty() && (!parallel_ || parallel_->writes())),
        emit_(prepareOutDir(), sink),
        scaler_(gradScalerFor(amp_, device_)),
        optimizer_(optimizedParameters(*model.net(), options.optimizer), options.optimizer),
        loader_(std::move(trainSet), trainLoaderOptions(options, device_, parallel_.get())) {}

  TrainResult run();

 private:
  // The metrics file, when this process writes the run directory.
  std::string prepareOutDir() {
    if (!writes_) return "";
    makeDirectories(o_.outDir);
    result_.metricsPath = o_.outDir + "/metrics.jsonl";
    return result_.metricsPath;
  }
  bool stopRequested() { return parallel_ ? parallel_->anyStop(stop_.load()) : stop_.load(); }
  void step(StepStrategy& strategy, int64_t iteration);
  void onLoss(const StepRecord& record, double loss, const std::string& note);
  void afterStep(StepStrategy& strategy, const StepRecord& record);
  void evaluateNow(int64_t done);
  void checkpointNow(int64_t done);
  void finish(Clock::time_point started);
  int64_t epochAfter(int64_t done) const { return loader_.order().epochOf(std::max<int64_t>(done - 1, 0)); }

  const TrainOptions& o_;
  Model& model_;
  torch::Device device_;
  std::shared_ptr<const DataSource> testSet_;
  const std::atomic<bool>& stop_;
  std::optional<at::ScalarType> amp_;
  bool channelsLast_;
  TrainResult result_;
  std::unique_ptr<DataParallel> parallel_;  // null: this process trains alone
  bool writes_;                             // metrics, checkpoints, weights (rank 0 of a data-parallel run)
  EventLog emit_;
  std::unique_ptr<GradScaler> scaler_;
  Optimizer optimizer_;
  Loader loader_;
  RunProgress progress_;
  Window window_;
  int64_t imagesSeen_ = 0, lastEval_ = -1, lastCheckpoint_ = -1;
};

TrainResult TrainingRun::run() {
  std::optional<CudnnBenchmarkGuard> cudnnBenchmark;
  if (device_.is_cuda()) cudnnBenchmark.emplace(o_.cudnnBenchmark);
  ChannelsLastScope memoryFormat(model_, channelsLast_);
  // In a data-parallel run only rank 0 reads the checkpoint, then shares it (and the initial weights).
  if (!o_.resume.empty() && (!parallel_ || parallel_->writes())) progress_ = resumeRun(o_, {model_, optimizer_, scaler_.get()});
  if (parallel_) parallel_->shareState(model_, optimizer_, scaler_.get(), progress_);
  result_.startIteration = progress_.iteration;
  if (!progress_.checkpoint.empty()) {
    // The checkpoint resumed from already holds this iteration's state: writing it again (a run resumed at its
    // last iteration, or stopped before its first step) would replace the directory `latest` names.
    lastCheckpoint_ = progress_.iteration;
    result_.checkpointPath = progress_.checkpoint;
  }
  StepHooks noHooks;
  StepHooks* hooks = parallel_ ? static_cast<StepHooks*>(parallel_.get()) : &noHooks;
  const StepEnv env{model_.net(), &optimizer_, device_, amp_, scaler_.get(), o_.skipNonFinite, o_.labelSmoothing, hooks};
  auto strategy = makeStepStrategy(env, usesDeferredSync(device_, o_.optimizer),
                                   [this](const StepRecord& r, double loss, const std::string& note) { onLoss(r, loss, note); });
  const auto started = Clock::now();
  window_ = Window{};
  while (progress_.iteration < o_.iterations) {
    if (stopRequested()) {
      result_.stopped = true;
      break;
    }
    step(*strategy, progress_.iteration);
    // A step boundary: predict/evaluate/save/load calls queued meanwhile run now, on this thread's
    // OpenMP team, so they wait at most one step (compute_thread.h). They do not touch this run's state.
    runQueuedShortJobs();
  }
  strategy->flush();
  finish(started);
  return result_;
}

void TrainingRun::step(StepStrategy& strategy, int64_t iteration) {
  Batch batch = loader_.batch(iteration);
  // Pinned batches (pinMemory on CUDA) make these copies asynchronous.
  auto x = batch.images.to(device_, /*non_blocking=*/true);
  if (channelsLast_) x = x.contiguous(c10::MemoryFormat::ChannelsLast);
  const auto y = batch.labels.to(device_, /*non_blocking=*/true);
  const StepRecord record{iteration + 1, loader_.order().epochOf(iteration),
                          learningRate(o_.schedule, o_.optimizer.lr, iteration, o_.iterations)};
  {
    auto lock = model_.lockExclusive();
    model_.net()->train();
    strategy.run(x, y, record);
  }
  // Throughput counts the global batch: every process trains on a batch of the same size.
  const int64_t images = batch.labels.size(0) * (parallel_ ? parallel_->worldSize() : 1);
  window_.images += images;
  imagesSeen_ += images;
  progress_.iteration = record.done;
  afterStep(strategy, record);
}

// A loss is known on the host: into the window, or a skip event, or the end of the run.
void TrainingRun::onLoss(const StepRecord& r, double loss, const std::string& note) {
  if (std::isfinite(loss)) {
    window_.lossSum += loss;
    ++window_.steps;
    return;
  }
  if (!o_.skipNonFinite) {
    throw std::runtime_error("training stopped: the loss is " + std::to_string(loss) + " at iteration " + std::to_string(r.done) +
                             " (epoch " + std::to_string(r.epoch) + ")" + note +
                             (result_.checkpointPath.empty() ? std::string("; no checkpoint was written yet")
                                                             : "; the last good checkpoint is " + result_.checkpointPath) +
                             ". Lower the learning rate or pass skipNonFinite: true to skip such batches");
  }
  ++progress_.skippedBatches;
  TrainEvent e = trainEvent("skip", r.done, r.epoch);
  e.loss = loss;
  e.lr = r.lr;
  emit_(e);
}

void TrainingRun::afterStep(StepStrategy& strategy, const StepRecord& r) {
  const int64_t done = r.done;
  const bool logDue = done % o_.logEvery == 0 || done == o_.iterations;
  const bool evalDue = o_.evalEvery > 0 && done % o_.evalEvery == 0;
  const bool checkpointDue = o_.checkpointEvery > 0 && done % o_.checkpointEvery == 0;
  if (logDue || evalDue || checkpointDue) strategy.flush();
  if (logDue) {
    const double seconds = secondsSince(window_.start);
    TrainEvent e = trainEvent("step", done, r.epoch);
    e.loss = window_.steps ? window_.lossSum / window_.steps : NAN;
    e.lr = r.lr;
    e.imagesPerSecond = seconds > 0 ? window_.images / seconds : 0;
    emit_(e);
    window_ = Window{};
  }
  if (evalDue) evaluateNow(done);
  if (checkpointDue) checkpointNow(done);
}

void TrainingRun::evaluateNow(int64_t done) {
  lastEval_ = done;
  if (!testSet_) return;
  EvalShard shard;
  if (parallel_) {
    parallel_->beforeEvaluation();
    shard = EvalShard{parallel_->rank(), parallel_->worldSize(),
                      [this](MetricAccumulator& m) { parallel_->combineMetrics(m, device_); }};
  }
  EvalResult r = evaluate(model_, testSet_, o_.evalBatchSize, o_.workers, InferenceSettings{o_.amp, channelsLast_}, shard);
  result_.hasEval = true;
  result_.finalEval = r;
  if (!progress_.hasBest || r.top1 > progress_.best.top1) {
    progress_.hasBest = true;
    progress_.best = r;
    progress_.bestIteration = done;
  }
  TrainEvent e = trainEvent("eval", done, epochAfter(done));
  e.eval = r;
  emit_(e);
}

void TrainingRun::checkpointNow(int64_t done) {
  lastCheckpoint_ = done;
  if (!writes_) return;
  result_.checkpointPath = saveRunCheckpoint(o_, {model_, optimizer_, scaler_.get()}, progress_, loader_.order());
  TrainEvent e = trainEvent("checkpoint", done, epochAfter(done));
  e.path = result_.checkpointPath;
  emit_(e);
}

void TrainingRun::finish(Clock::time_point started) {
  const int64_t done = progress_.iteration;
  if (!result_.stopped && lastEval_ != done) evaluateNow(done);
  if (lastCheckpoint_ != done) checkpointNow(done);
  if (writes_) {
    result_.weightsPath = o_.outDir + "/model.safetensors";
    auto lock = model_.lockShared();
    writeSafetensors(result_.weightsPath, orderedStateDict(*model_.net()), toMetadata(model_.options()));
  }
  result_.iterations = done;
  result_.skippedBatches = progress_.skippedBatches;
  if (progress_.hasBest) {
    result_.bestEval = progress_.best;
    result_.bestIteration = progress_.bestIteration;
  }
  result_.wallSeconds = secondsSince(started);
  result_.imagesPerSecond = result_.wallSeconds > 0 ? imagesSeen_ / result_.wallSeconds : 0;
  if (parallel_) result_.communicationSeconds = parallel_->communicationSeconds();
  TrainEvent end = trainEvent("end", done, epochAfter(done));
  end.path = result_.weightsPath;
  emit_(end);
}

}  // namespace

TrainResult train(Model& model, std::shared_ptr<const DataSource> trainSet, std::shared_ptr<const DataSource> testSet,
                  const TrainOptions& options, const EventSink& emit, const std::atomic<bool>& stop) {
  checkTrainInvariants(options);
  const int64_t numClasses = model.options().numClasses;
  validateSource(*trainSet, model.options().inChannels, numClasses, "data.train");
  if (testSet) validateSource(*testSet, model.options().inChannels, numClasses, "data.test");
  TrainingRun run(model, std::move(trainSet), std::move(testSet), options, emit, stop);
  return run.run();
}

}  // namespace senet
