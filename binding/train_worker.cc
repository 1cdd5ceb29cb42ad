#include "train_worker.h"

#include "runtime/compute_thread.h"

#include <atomic>
#include <memory>

#include "addon_data.h"
#include "env_state.h"
#include "errors.h"
#include "train/lr_schedule.h"
#include "model_wrap.h"
#include "runtime/runtime.h"
#include "task_worker.h"
#include "train_args.h"
#include "train/evaluate.h"
#include "train/trainer.h"

namespace senet_binding {

namespace {

Napi::Array numberArray(Napi::Env env, const std::vector<double>& values) {
  auto a = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    a.Set(i, std::isnan(values[i]) ? env.Null() : Napi::Number::New(env, values[i]));
  }
  return a;
}

Napi::Object evalToJs(Napi::Env env, const senet::EvalResult& e, bool withConfusion) {
  auto o = Napi::Object::New(env);
  o.Set("top1", e.top1);
  o.Set("top5", e.top5);
  o.Set("loss", e.loss);
  o.Set("count", Napi::Number::New(env, static_cast<double>(e.count)));
  o.Set("perClassAccuracy", numberArray(env, e.perClassAccuracy));
  if (withConfusion) {
    auto rows = Napi::Array::New(env, e.confusion.size());
    for (size_t r = 0; r < e.confusion.size(); ++r) {
      auto row = Napi::Array::New(env, e.confusion[r].size());
      for (size_t c = 0; c < e.confusion[r].size(); ++c) {
        row.Set(c, Napi::Number::New(env, static_cast<double>(e.confusion[r][c])));
      }
      rows.Set(r, row);
    }
    o.Set("confusion", rows);
  }
  return o;
}

Napi::Object eventToJs(Napi::Env env, const senet::TrainEvent& e) {
  auto o = Napi::Object::New(env);
  o.Set("type", e.type);
  o.Set("iteration", Napi::Number::New(env, static_cast<double>(e.iteration)));
  o.Set("epoch", Napi::Number::New(env, static_cast<double>(e.epoch)));
  if (e.type == "step" || e.type == "skip") {
    o.Set("loss", e.loss);
    o.Set("lr", e.lr);
  }
  if (e.type == "step") o.Set("imagesPerSecond", e.imagesPerSecond);
  if (e.type == "eval") {
    auto metrics = evalToJs(env, e.eval, false);
    for (const char* key : {"top1", "top5", "loss", "count", "perClassAccuracy"}) o.Set(key, metrics.Get(key));
  }
  if (!e.path.empty()) o.Set("path", e.path);
  return o;
}

Napi::Object resultToJs(Napi::Env env, const senet::TrainResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("finalEval", r.hasEval ? Napi::Value(evalToJs(env, r.finalEval, true)) : env.Null());
  o.Set("bestEval", r.bestIteration > 0 ? Napi::Value(evalToJs(env, r.bestEval, false)) : env.Null());
  o.Set("bestIteration", Napi::Number::New(env, static_cast<double>(r.bestIteration)));
  o.Set("iterations", Napi::Number::New(env, static_cast<double>(r.iterations)));
  o.Set("startIteration", Napi::Number::New(env, static_cast<double>(r.startIteration)));
  o.Set("wallSeconds", r.wallSeconds);
  o.Set("imagesPerSecond", r.imagesPerSecond);
  o.Set("communicationSeconds", r.communicationSeconds);
  o.Set("stopped", r.stopped);
  o.Set("skippedBatches", Napi::Number::New(env, static_cast<double>(r.skippedBatches)));
  auto paths = Napi::Object::New(env);
  auto optional = [&](const std::string& p) { return p.empty() ? env.Null() : Napi::Value(Napi::String::New(env, p)); };
  paths.Set("checkpoint", optional(r.checkpointPath));
  paths.Set("weights", optional(r.weightsPath));
  paths.Set("metrics", optional(r.metricsPath));
  o.Set("paths", paths);
  return o;
}

// Runs the trainer on a worker thread; events cross to JS through the
// progress queue, which node-addon-api drains before OnOK/OnError.
class TrainWorker : public Napi::AsyncProgressQueueWorker<senet::TrainEvent> {
 public:
  TrainWorker(Napi::Env env, std::shared_ptr<senet::Model> model, std::shared_ptr<senet::DataSource> trainSet,
              std::shared_ptr<senet::DataSource> testSet, senet::TrainOptions options, Napi::Function onEvent,
              std::shared_ptr<std::atomic<bool>> stop)
      : Napi::AsyncProgressQueueWorker<senet::TrainEvent>(env, "senet-lab:train"),
        deferred_(Napi::Promise::Deferred::New(env)),
        model_(std::move(model)),
        train_(std::move(trainSet)),
        test_(std::move(testSet)),
        options_(std::move(options)),
        stop_(std::move(stop)) {
    if (!onEvent.IsEmpty()) onEvent_ = Napi::Persistent(onEvent);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    // On the compute thread (compute_thread.h); progress.Send is thread-safe.
    std::string error = catchMessage([&] {
      // A long job: it yields to predict/evaluate/save/load at step boundaries; a second run waits for this one.
      senet::runOnComputeThread(
          [&] {
            result_ = senet::train(*model_, train_, test_, options_,
                                   [&](const senet::TrainEvent& e) { progress.Send(&e, 1); }, *stop_);
          },
          senet::JobKind::kLong,
          [&] {
            const auto queued = senet::trainEvent("queued", 0, 0);
            progress.Send(&queued, 1);
          });
    });
    if (!error.empty()) SetError(error);
  }

  void OnProgress(const senet::TrainEvent* events, size_t count) override {
    Napi::Env env = Env();
    if (!stillRunning(env)) return;  // env_state.h: the environment is ending (and now stops this run)
    if (onEvent_.IsEmpty() || callbackError_) return;
    for (size_t i = 0; i < count; ++i) {
      // The C call, not FunctionReference::Call: a listener may end its environment (process.exit() in a
      // Worker), and node-addon-api cannot even build the Error for that; see env_state.h.
      napi_value event = eventToJs(env, events[i]);
      napi_value returned;
      if (napi_call_function(env, env.Undefined(), onEvent_.Value(), 1, &event, &returned) == napi_ok) continue;
      napi_value thrown;
      napi_get_and_clear_last_exception(env, &thrown);  // first: the probe in stillRunning needs no exception pending
      if (!stillRunning(env)) return;
      // A throwing listener stops the run; its error becomes the rejection.
      callbackError_ = std::make_unique<Napi::ObjectReference>(Napi::Persistent(Napi::Error(env, thrown).Value()));
      stop_->store(true);
      return;
    }
  }

  void OnOK() override {
    if (!stillRunning(Env())) return;
    if (callbackError_) return deferred_.Reject(callbackError_->Value());
    deferred_.Resolve(resultToJs(Env(), result_));
  }
  void OnError(const Napi::Error& error) override {
    if (!stillRunning(Env())) return;
    if (callbackError_) return deferred_.Reject(callbackError_->Value());
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<senet::Model> model_;
  std::shared_ptr<senet::DataSource> train_;
  std::shared_ptr<senet::DataSource> test_;
  senet::TrainOptions options_;
  std::shared_ptr<std::atomic<bool>> stop_;
  Napi::FunctionReference onEvent_;
  std::unique_ptr<Napi::ObjectReference> callbackError_;
  senet::TrainResult result_;
};

std::shared_ptr<senet::DataSource> optionalDataset(const Napi::Object& data, const char* key) {
  Napi::Value v = data.Get(key);
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  return dataSourceFromJs(v, std::string("data.") + key);
}

}  // namespace

Napi::Value StartTraining(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = ModelWrap::FromValue(info[0]);
  if (!info[1].IsObject() || !info[2].IsObject()) throw Napi::TypeError::New(env, "train(model, options, data, onEvent)");
  senet::TrainOptions options = trainOptionsFromJs(info[1]);
  std::string error = catchMessage([&] { senet::checkTrainInvariants(options); });
  if (!error.empty()) throw Napi::Error::New(env, error);
  auto data = info[2].As<Napi::Object>();
  auto trainSet = optionalDataset(data, "train");
  if (!trainSet) throw Napi::TypeError::New(env, "data.train is required");
  auto testSet = optionalDataset(data, "test");
  Napi::Function onEvent = info.Length() > 3 && info[3].IsFunction() ? info[3].As<Napi::Function>() : Napi::Function();
  auto stop = std::make_shared<std::atomic<bool>>(false);
  AddonData::From(env).addTraining(stop);  // an exit of this environment stops the run at its next step
  auto* worker = new TrainWorker(env, model, std::move(trainSet), std::move(testSet), options, onEvent, stop);
  auto handle = Napi::Object::New(env);
  handle.Set("promise", worker->Promise());
  handle.Set("stop", Napi::Function::New(env, [stop](const Napi::CallbackInfo& i) {
               stop->store(true);
               return i.Env().Undefined();
             }));
  worker->Queue();
  return handle;
}

Napi::Value Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = ModelWrap::FromValue(info[0]);
  auto data = dataSourceFromJs(info[1], "data");
  const int64_t batchSize = info[2].IsNumber() ? info[2].As<Napi::Number>().Int64Value() : 256;
  const int64_t workers = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : 0;
  const senet::InferenceSettings settings = inferenceSettingsFromJs(info[4]);
  std::string error = catchMessage([&] {
    senet::validateSource(*data, model->options().inChannels, model->options().numClasses, "data");
  });
  if (!error.empty()) throw Napi::Error::New(env, error);
  auto result = std::make_shared<senet::EvalResult>();
  return TaskWorker::Start(
      env,
      [model, data, batchSize, workers, settings, result] {
        *result = senet::evaluate(*model, data, batchSize, workers, settings);
      },
      [result](Napi::Env env) -> Napi::Value { return evalToJs(env, *result, true); });
}

Napi::Value LearningRates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  senet::TrainOptions options = trainOptionsFromJs(info[0]);
  const int64_t count = info[1].As<Napi::Number>().Int64Value();
  std::string error = catchMessage([&] { senet::checkTrainInvariants(options); });
  if (!error.empty()) throw Napi::Error::New(env, error);
  auto out = Napi::Float64Array::New(env, static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t t = 0; t < count; ++t) {
    out[static_cast<size_t>(t)] = senet::learningRate(options.schedule, options.optimizer.lr, t, options.iterations);
  }
  return out;
}

}  // namespace senet_binding
