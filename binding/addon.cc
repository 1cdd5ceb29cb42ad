// The addon's exports: the Model and Dataset classes and module-level
// functions. module.cc registers them as senet_lab.node; the test addon
// (binding/testing/) adds its hooks on top.
#include <napi.h>

#include "addon_data.h"
#include "runtime/allocator_tuning.h"
#include "js_json.h"
#include "runtime/runtime_info.h"
#include "dataset_wrap.h"
#include "js_values.h"
#include "live_models.h"
#include "model_wrap.h"
#include "options.h"
#include "runtime/runtime.h"
#include "io/safetensors.h"
#include "train/checkpoint.h"
#include "promise_job.h"
#include "evaluate_job.h"
#include "learning_rates.h"
#include "train_job.h"

namespace senet_binding {

namespace {

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "loadModel(path) needs a string path");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const std::string device = info.Length() >= 2 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
  auto built = std::make_shared<std::shared_ptr<senet::Model>>();
  return startPromiseJob(
      env, [path, device, built] { *built = trackModel(senet::Model::fromFile(path, device)); },
      [built](Napi::Env env) -> Napi::Value { return ModelWrap::Wrap(env, *built); });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "setThreads(n) needs a number");
  std::string error = catchMessage([&] { senet::setThreads(info[0].As<Napi::Number>().Int32Value());
    senet::useSingleThread();
  });
  if (!error.empty()) throw Napi::RangeError::New(env, error);
  return env.Undefined();
}

Napi::Value SetTf32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(env, "setTf32(enabled) needs a boolean");
  senet::setTf32(info[0].As<Napi::Boolean>().Value());
  return env.Undefined();
}

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) { return resultToJs(info.Env(), senet::runtimeInfo()); }

// Parses only the header of an in-memory safetensors file. Used by tests
// (fuzzing the reader) and by tools that want to look before loading.
Napi::Value InspectSafetensors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    throw Napi::TypeError::New(env, "inspectSafetensors(bytes) needs a Uint8Array");
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  senet::SafetensorsHeader header;
  std::string error = catchMessage(
      [&] { header = senet::parseSafetensorsHeader(bytes.Data(), bytes.ByteLength(), "<buffer>"); });
  if (!error.empty()) throw Napi::Error::New(env, error);
  return resultToJs(env, header);
}

// readCheckpoint(runDir) -> CheckpointSummary, synchronous: state.json and one safetensors header, through the
// fuzzed readers (train/checkpoint_state.h, io/safetensors_header.h); lib/checkpoint.ts applies the resume policy.
Napi::Value ReadCheckpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "readCheckpoint(runDir) needs a string path");
  senet::CheckpointSummary summary;
  std::string error = catchMessage([&] { summary = senet::readCheckpointSummary(info[0].As<Napi::String>().Utf8Value()); });
  if (!error.empty()) throw Napi::Error::New(env, error);
  return resultToJs(env, summary);
}

Napi::Value Names(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("archs", toJsStrings(env, senet::archNames()));
  o.Set("stems", toJsStrings(env, senet::stemNames()));
  o.Set("attentions", toJsStrings(env, senet::attentionNames()));
  return o;
}

// An environment's end closes it (AddonData::close: its queued jobs are skipped, its runs stop, its running jobs
// are waited for). process.exit() in the main thread or in a Worker runs no addon cleanup hook, but it emits
// 'exit' first; a Worker's terminate() emits no 'exit' but runs the cleanup hooks of its environment.
void CloseOnExit(Napi::Env env) {
  napi_add_env_cleanup_hook(env, [](void* data) { static_cast<AddonData*>(data)->close(); }, &AddonData::From(env));
  Napi::Value process = env.Global().Get("process");
  if (!process.IsObject()) return;
  Napi::Value on = process.As<Napi::Object>().Get("on");
  if (!on.IsFunction()) return;
  auto listener = Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    AddonData::From(info.Env()).close();
    return info.Env().Undefined();
  }, "senetLabCloseOnExit");
  on.As<Napi::Function>().Call(process, {Napi::String::New(env, "exit"), listener});
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  data->completions = std::make_unique<Completions>(env);
  Napi::Function model = ModelWrap::Define(env);
  data->modelConstructor = Napi::Persistent(model);
  exports.Set("Model", model);
  Napi::Function dataset = DatasetWrap::Define(env);
  data->datasetConstructor = Napi::Persistent(dataset);
  exports.Set("Dataset", dataset);
  exports.Set("openDataset", Napi::Function::New<OpenDataset>(env, "openDataset"));
  exports.Set("loadModel", Napi::Function::New<LoadModel>(env, "loadModel"));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("runtimeInfo", Napi::Function::New<RuntimeInfo>(env, "runtimeInfo"));
  exports.Set("setTf32", Napi::Function::New<SetTf32>(env, "setTf32"));
  exports.Set("inspectSafetensors", Napi::Function::New<InspectSafetensors>(env, "inspectSafetensors"));
  exports.Set("names", Napi::Function::New<Names>(env, "names"));
  exports.Set("readCheckpoint", Napi::Function::New<ReadCheckpoint>(env, "readCheckpoint"));
  exports.Set("train", Napi::Function::New<StartTraining>(env, "train"));
  exports.Set("evaluate", Napi::Function::New<Evaluate>(env, "evaluate"));
  exports.Set("learningRates", Napi::Function::New<LearningRates>(env, "learningRates"));
  CloseOnExit(env);
  senet::tuneAllocator();  // before the first training step allocates
  senet::setThreads(senet::threads());  // once, before any native work: libtorch's global count
  senet::useSingleThread();  // the main thread must not own an OpenMP team (compute_thread.h)
  return exports;
}

}  // namespace senet_binding
