// The test addon's extra exports (senet_lab_testing.node; never in the
// shipped senet_lab.node): switches and probes the parity tests and the
// benchmarks need, on top of everything the product addon exports.
#include <napi.h>

#include <malloc.h>

#include <chrono>

#include "../errors.h"
#include "../js_values.h"
#include "../live_models.h"
#include "../model_wrap.h"
#include "../promise_job.h"
#include "io/safetensors.h"
#include "testing/attention_check.h"
#include "testing/model_gradients.h"
#include "testing/peak_probe.h"
#include "train/step.h"

namespace senet_binding {

namespace {

// _setTestSwitches(deferredSync, gradScalerInit): run the CUDA step paths on CPU (train/step.h).
Napi::Value SetTestSwitches(const Napi::CallbackInfo& info) {
  senet::StepOverrides overrides;
  overrides.deferredSync = info[0].ToBoolean().Value();
  overrides.gradScalerInit = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.0;
  senet::setStepOverrides(overrides);
  return info.Env().Undefined();
}

// attentionCheck({kind, reduction, fused, input, output}) -> Promise: one
// attention block forward + backward from/to safetensors files
// (native/testing/attention_check.h), for the block-level gradient parity tests.
Napi::Value AttentionCheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "attentionCheck(options) needs an object");
  auto o = info[0].As<Napi::Object>();
  senet::AttentionCheckOptions options;
  options.kind = stringField(o, "kind", "se");
  options.reduction = intField(o, "reduction", 16);
  options.fused = boolField(o, "fused", true);
  options.input = stringField(o, "input", "");
  options.output = stringField(o, "output", "");
  return startPromiseJob(
      env, [options] { senet::runAttentionCheck(options); }, [](Napi::Env env) { return env.Undefined(); });
}

// timePredict(model, shape, iterations) -> Promise<seconds[]>: each of
// `iterations` predict calls on one constant input, timed on the compute
// thread around Model::predict alone (what a JS predict costs minus the
// N-API crossing), for the benchmarks.
Napi::Value TimePredict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = ModelWrap::FromValue(info[0]);
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "timePredict(model, shape, iterations) needs a number of iterations");
  std::vector<int64_t> shape = shapeArgument(info[1]);
  const int64_t iterations = info[2].As<Napi::Number>().Int64Value();
  if (iterations < 1 || iterations > 100000) throw Napi::RangeError::New(env, "iterations must be in 1..100000");
  auto seconds = std::make_shared<std::vector<double>>();
  return startPromiseJob(
      env,
      [model, shape, iterations, seconds] {
        const auto input = torch::full(shape, 0.5f);
        for (int64_t i = 0; i < iterations; ++i) {
          const auto start = std::chrono::steady_clock::now();
          model->predict(input);
          seconds->push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
      },
      [seconds](Napi::Env env) -> Napi::Value { return toJsNumbers(env, *seconds); });
}

// gradients(model, input, shape, labels, path) -> Promise<loss>: one
// train-mode forward/backward; the parameter gradients are written to `path`
// (safetensors, state_dict names). For the gradient parity tests.
Napi::Value Gradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = ModelWrap::FromValue(info[0]);
  if (info.Length() < 5 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || !info[3].IsTypedArray() ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[4].IsString()) {
    throw Napi::TypeError::New(env, "gradients(model, input, shape, labels, path) needs a model, a Float32Array, a shape, an Int32Array and a path");
  }
  auto input = info[1].As<Napi::Float32Array>();
  auto labels = info[3].As<Napi::Int32Array>();
  std::vector<int64_t> shape = shapeArgument(info[2]);
  if (static_cast<double>(input.ElementLength()) != static_cast<double>(shape[0]) * shape[1] * shape[2] * shape[3]) {
    throw Napi::RangeError::New(env, "input length does not match shape");
  }
  const std::string path = info[4].As<Napi::String>().Utf8Value();
  const float* data = input.Data();
  const int32_t* classes = labels.Data();
  const int64_t count = static_cast<int64_t>(labels.ElementLength());
  auto loss = std::make_shared<double>(0.0);
  return startPromiseJob(
      env,
      [model, data, classes, count, shape, path, loss] {
        auto x = torch::from_blob(const_cast<float*>(data), shape, torch::kFloat32);
        auto y = torch::from_blob(const_cast<int32_t*>(classes), {count}, torch::kInt32).to(torch::kLong);
        auto [value, grads] = senet::modelGradients(*model, x, y);
        *loss = value;
        senet::writeSafetensors(path, grads, {{"format", "pt"}});
      },
      [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *loss); }, {input, labels});
}

// liveModels() -> number: native models alive in the process, all environments together (live_models.h), for the
// memory tests (a model dropped without dispose() must be freed by its finalizer).
Napi::Value LiveModels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(liveModels()));
}

// trimMalloc(): hands glibc's free heap pages back to the OS, so the RSS the memory tests read after GC counts
// live memory, not what the allocator keeps for reuse (the addon raises the trim threshold, allocator_tuning.h).
Napi::Value TrimMalloc(const Napi::CallbackInfo& info) {
  malloc_trim(0);
  return info.Env().Undefined();
}

// peakProbe(seconds) -> Promise<{ gemmGflops, convGflops, gemmSize, seconds }>: this machine's attainable float32 rate on
// the process's threads (native/testing/peak_probe.h), for the benchmarks' fraction-of-peak column.
Napi::Value PeakProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "peakProbe(seconds) needs a number");
  const double seconds = info[0].As<Napi::Number>().DoubleValue();
  if (!(seconds > 0 && seconds <= 600)) throw Napi::RangeError::New(env, "peakProbe: seconds must be in (0, 600]");
  auto result = std::make_shared<senet::PeakProbeResult>();
  return startPromiseJob(
      env, [seconds, result] { *result = senet::runPeakProbe(seconds); },
      [result](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("gemmGflops", result->gemmGflops);
        o.Set("convGflops", result->convGflops);
        o.Set("gemmSize", static_cast<double>(result->gemmSize));
        o.Set("seconds", result->seconds);
        return o;
      });
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports);

Napi::Object InitTesting(Napi::Env env, Napi::Object exports) {
  Init(env, exports);
  exports.Set("_setTestSwitches", Napi::Function::New<SetTestSwitches>(env, "_setTestSwitches"));
  exports.Set("attentionCheck", Napi::Function::New<AttentionCheck>(env, "attentionCheck"));
  exports.Set("timePredict", Napi::Function::New<TimePredict>(env, "timePredict"));
  exports.Set("gradients", Napi::Function::New<Gradients>(env, "gradients"));
  exports.Set("peakProbe", Napi::Function::New<PeakProbe>(env, "peakProbe"));
  exports.Set("trimMalloc", Napi::Function::New<TrimMalloc>(env, "trimMalloc"));
  exports.Set("liveModels", Napi::Function::New<LiveModels>(env, "liveModels"));
  exports.Set("testAddon", Napi::Boolean::New(env, true));
  return exports;
}

}  // namespace senet_binding

static Napi::Object InitTestingAddon(Napi::Env env, Napi::Object exports) { return senet_binding::InitTesting(env, exports); }

NODE_API_MODULE(senet_lab_testing, InitTestingAddon)
