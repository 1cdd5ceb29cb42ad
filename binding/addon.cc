// The addon's exports: the Model and Dataset classes and module-level
// functions. module.cc registers them as senet_lab.node; the test addon
// (binding/testing/) adds its hooks on top.
#include <napi.h>

#include "addon_data.h"
#include "runtime/allocator_tuning.h"
#include "runtime/openmp_info.h"
#include "dataset_wrap.h"
#include "js_values.h"
#include "live_models.h"
#include "model_wrap.h"
#include "options.h"
#include "runtime/runtime.h"
#include "io/safetensors.h"
#include "task_worker.h"
#include "train_worker.h"

namespace senet_binding {

namespace {

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "loadModel(path) needs a string path");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const std::string device = info.Length() >= 2 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
  auto built = std::make_shared<std::shared_ptr<senet::Model>>();
  return TaskWorker::Start(
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

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", senet::torchVersion());
  o.Set("cudaAvailable", senet::cudaAvailable());
  o.Set("cudaDeviceCount", senet::cudaDeviceCount());
  o.Set("threads", senet::threads());
  o.Set("allocator", senet::tuneAllocator());
  auto tf32 = Napi::Object::New(env);
  tf32.Set("convolutions", senet::tf32Convolutions());
  tf32.Set("matmuls", senet::tf32Matmuls());
  o.Set("tf32", tf32);
  const senet::OpenMpInfo& omp = senet::openMpInfo();
  auto openmp = Napi::Object::New(env);
  openmp.Set("atenBackend", omp.atenBackend);
  openmp.Set("atenRuntime", omp.atenRuntime);
  openmp.Set("ownRuntime", omp.ownRuntime);
  openmp.Set("loadedRuntimes", toJsStrings(env, omp.loadedRuntimes));
  openmp.Set("perThreadCountReachesATen", omp.perThreadCountReachesATen);
  o.Set("openmp", openmp);
  return o;
}

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
  auto result = Napi::Object::New(env);
  auto metadata = Napi::Object::New(env);
  for (const auto& [key, value] : header.metadata) metadata.Set(key, value);
  result.Set("metadata", metadata);
  auto tensors = Napi::Array::New(env, header.tensors.size());
  for (size_t i = 0; i < header.tensors.size(); ++i) {
    const auto& t = header.tensors[i];
    auto entry = Napi::Object::New(env);
    entry.Set("name", t.name);
    entry.Set("dtype", t.dtype);
    entry.Set("shape", toJsNumbers(env, t.shape));
    entry.Set("begin", Napi::Number::New(env, static_cast<double>(t.begin)));
    entry.Set("end", Napi::Number::New(env, static_cast<double>(t.end)));
    tensors.Set(i, entry);
  }
  result.Set("tensors", tensors);
  result.Set("dataStart", Napi::Number::New(env, static_cast<double>(header.dataStart)));
  return result;
}

Napi::Value Names(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("archs", toJsStrings(env, senet::archNames()));
  o.Set("stems", toJsStrings(env, senet::stemNames()));
  o.Set("attentions", toJsStrings(env, senet::attentionNames()));
  return o;
}

// process.on('exit', ...) of this environment: Node's exit runs no addon cleanup hook before it waits for the
// native work in flight, but it emits 'exit' first (process.exit() in the main thread or in a Worker).
void CloseOnExit(Napi::Env env) {
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
