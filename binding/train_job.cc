#include "train_job.h"

#include <atomic>
#include <memory>

#include "addon_data.h"
#include "completions.h"
#include "env_state.h"
#include "errors.h"
#include "model_wrap.h"
#include "js_json.h"
#include "runtime/compute_thread.h"
#include "data_from_js.h"
#include "options.h"
#include "train/trainer.h"

namespace senet_binding {

namespace {

// The JS side of a run: its promise, its event listener, and a listener's error (which stops the run and
// becomes the rejection).
class TrainJob : public JsJob {
 public:
  TrainJob(Napi::Env env, Napi::Function onEvent, std::shared_ptr<std::atomic<bool>> stop)
      : deferred_(Napi::Promise::Deferred::New(env)), stop_(std::move(stop)) {
    if (!onEvent.IsEmpty()) onEvent_ = Napi::Persistent(onEvent);
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

  void emit(Napi::Env env, const senet::TrainEvent& event) {
    if (onEvent_.IsEmpty() || listenerError_) return;
    // The C call, not FunctionReference::Call: a listener may end its environment (process.exit() in a
    // Worker), and node-addon-api cannot even build the Error for that; see env_state.h.
    napi_value value = resultToJs(env, event);
    napi_value returned;
    if (napi_call_function(env, env.Undefined(), onEvent_.Value(), 1, &value, &returned) == napi_ok) return;
    napi_value thrown;
    napi_get_and_clear_last_exception(env, &thrown);  // first: the probe in stillRunning needs no exception pending
    if (!stillRunning(env)) return;
    listenerError_ = std::make_unique<Napi::ObjectReference>(Napi::Persistent(Napi::Error(env, thrown).Value()));
    stop_->store(true);
  }

  void settle(Napi::Env env, const std::string& error, const senet::TrainResult& result) {
    if (listenerError_) return deferred_.Reject(listenerError_->Value());
    if (!error.empty()) return deferred_.Reject(Napi::Error::New(env, error).Value());
    deferred_.Resolve(resultToJs(env, result));
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference onEvent_;
  std::shared_ptr<std::atomic<bool>> stop_;
  std::unique_ptr<Napi::ObjectReference> listenerError_;
};

std::shared_ptr<senet::DataSource> optionalDataset(const Napi::Object& data, const char* key) {
  Napi::Value v = data.Get(key);
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  return dataSourceFromJs(v, std::string("data.") + key);
}

Completions::Delivery eventDelivery(senet::TrainEvent event) {
  return [event = std::move(event)](Napi::Env env, JsJob& job) { static_cast<TrainJob&>(job).emit(env, event); };
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

  AddonData& addon = AddonData::From(env);
  auto stop = std::make_shared<std::atomic<bool>>(false);
  addon.addTraining(stop);  // an end of this environment stops the run at its next step
  auto job = std::make_unique<TrainJob>(env, onEvent, stop);
  auto handle = Napi::Object::New(env);
  handle.Set("promise", job->promise());
  handle.Set("stop", Napi::Function::New(env, [stop](const Napi::CallbackInfo& i) {
               stop->store(true);
               return i.Env().Undefined();
             }));
  const Completions::Sender sender = addon.completions->add(std::move(job));
  auto result = std::make_shared<senet::TrainResult>();
  auto jobs = addon.jobs;
  // A long job: it yields to predict/evaluate/save/load at step boundaries; a second run waits for this one.
  senet::postToComputeThread(
      [jobs, model, trainSet = std::move(trainSet), testSet = std::move(testSet), options, stop, sender, result] {
        EnvJobs::Running running(*jobs);
        *result = senet::train(*model, trainSet, testSet, options,
                               [&sender](const senet::TrainEvent& e) { sender.send(eventDelivery(e)); }, *stop);
      },
      senet::JobKind::kLong,
      [sender, result](std::exception_ptr failure) {
        sender.finish([message = messageOf(failure), result](Napi::Env env, JsJob& job) {
          static_cast<TrainJob&>(job).settle(env, message, *result);
        });
      },
      [&sender] { sender.send(eventDelivery(senet::trainEvent("queued", 0, 0))); });
  return handle;
}

}  // namespace senet_binding
