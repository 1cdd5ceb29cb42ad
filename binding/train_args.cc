#include "train_args.h"

#include <cstring>

#include "dataset_wrap.h"
#include "errors.h"
#include "js_values.h"

namespace senet_binding {

namespace {

Napi::Object child(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(o.Env());
}

}  // namespace

senet::TrainOptions trainOptionsFromJs(const Napi::Object& o) {
  senet::TrainOptions t;
  t.iterations = intField(o, "iterations", t.iterations);
  t.batchSize = intField(o, "batchSize", t.batchSize);
  t.labelSmoothing = numberField(o, "labelSmoothing", t.labelSmoothing);
  t.logEvery = intField(o, "logEvery", t.logEvery);
  t.evalEvery = intField(o, "evalEvery", t.evalEvery);
  t.evalBatchSize = intField(o, "evalBatchSize", t.evalBatchSize);
  t.checkpointEvery = intField(o, "checkpointEvery", t.checkpointEvery);
  t.keepCheckpoints = intField(o, "keepCheckpoints", t.keepCheckpoints);
  t.outDir = stringField(o, "outDir", t.outDir);
  t.resume = boolField(o, "resume", t.resume);
  t.seed = static_cast<uint64_t>(intField(o, "seed", 0));
  t.shuffle = boolField(o, "shuffle", t.shuffle);
  t.dropLast = boolField(o, "dropLast", t.dropLast);
  t.skipNonFinite = boolField(o, "skipNonFinite", t.skipNonFinite);
  t.workers = intField(o, "workers", t.workers);
  t.prefetch = intField(o, "prefetch", t.prefetch);
  t.rank = intField(o, "rank", t.rank);
  t.worldSize = intField(o, "worldSize", t.worldSize);
  if (o.Get("amp").IsString()) t.amp = o.Get("amp").As<Napi::String>().Utf8Value();  // false / absent: off
  if (o.Get("channelsLast").IsBoolean()) t.channelsLast = o.Get("channelsLast").As<Napi::Boolean>().Value();
  t.cudnnBenchmark = boolField(o, "cudnnBenchmark", t.cudnnBenchmark);

  Napi::Object opt = child(o, "optimizer");
  auto& op = t.optimizer;
  op.type = stringField(opt, "type", op.type);
  op.lr = numberField(opt, "lr", op.lr);
  op.momentum = numberField(opt, "momentum", op.momentum);
  op.dampening = numberField(opt, "dampening", op.dampening);
  op.nesterov = boolField(opt, "nesterov", op.nesterov);
  op.weightDecay = numberField(opt, "weightDecay", op.weightDecay);
  op.decayNormAndBias = boolField(opt, "decayNormAndBias", op.decayNormAndBias);
  auto betas = numberList(opt.Get("betas"));
  if (betas.size() == 2) {
    op.beta1 = betas[0];
    op.beta2 = betas[1];
  }
  op.eps = numberField(opt, "eps", op.eps);

  Napi::Object sched = child(o, "schedule");
  auto& s = t.schedule;
  s.type = stringField(sched, "type", s.type);
  s.stepSize = intField(sched, "stepSize", s.stepSize);
  for (double m : numberList(sched.Get("milestones"))) s.milestones.push_back(static_cast<int64_t>(m));
  s.gamma = numberField(sched, "gamma", s.gamma);
  s.finalLr = numberField(sched, "finalLr", s.finalLr);
  s.warmupIterations = intField(sched, "warmupIterations", s.warmupIterations);
  s.warmupStartFactor = numberField(sched, "warmupStartFactor", s.warmupStartFactor);
  return t;
}

senet::InferenceSettings inferenceSettingsFromJs(const Napi::Value& value) {
  senet::InferenceSettings s;
  if (!value.IsObject()) return s;
  const Napi::Object o = value.As<Napi::Object>();
  if (o.Get("amp").IsString()) s.amp = o.Get("amp").As<Napi::String>().Utf8Value();
  s.channelsLast = boolField(o, "channelsLast", s.channelsLast);
  return s;
}

std::shared_ptr<senet::DataSource> dataSourceFromJs(const Napi::Value& value, const std::string& field) {
  Napi::Env env = value.Env();
  if (auto source = DatasetWrap::FromValue(value)) return source;
  if (!value.IsObject()) throw Napi::TypeError::New(env, field + " must be a Dataset or { images, labels, shape }");
  const Napi::Object o = value.As<Napi::Object>();
  Napi::Value shapeValue = o.Get("shape");
  if (!shapeValue.IsArray() || shapeValue.As<Napi::Array>().Length() != 4) {
    throw Napi::TypeError::New(env, field + ".shape must be [N, C, H, W]");
  }
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < 4; ++i) shape.push_back(shapeValue.As<Napi::Array>().Get(i).As<Napi::Number>().Int64Value());
  const int64_t count = shape[0] * shape[1] * shape[2] * shape[3];
  Napi::Value images = o.Get("images");
  if (!images.IsTypedArray()) throw Napi::TypeError::New(env, field + ".images must be a Uint8Array or Float32Array");
  auto typed = images.As<Napi::TypedArray>();
  if (static_cast<int64_t>(typed.ElementLength()) != count) {
    throw Napi::RangeError::New(env, field + ".images has " + std::to_string(typed.ElementLength()) +
                                         " values but shape needs " + std::to_string(count));
  }
  torch::Tensor imageTensor;
  const auto type = typed.TypedArrayType();
  if (type == napi_uint8_array) {
    imageTensor = torch::from_blob(images.As<Napi::Uint8Array>().Data(), shape, torch::kUInt8).clone();
  } else if (type == napi_float32_array) {
    imageTensor = torch::from_blob(images.As<Napi::Float32Array>().Data(), shape, torch::kFloat32).clone();
  } else {
    throw Napi::TypeError::New(env, field + ".images must be a Uint8Array or Float32Array");
  }
  Napi::Value labels = o.Get("labels");
  if (!labels.IsTypedArray() || labels.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, field + ".labels must be an Int32Array");
  }
  auto l = labels.As<Napi::Int32Array>();
  auto labelTensor = torch::from_blob(l.Data(), {static_cast<int64_t>(l.ElementLength())}, torch::kInt32).to(torch::kInt64);
  std::shared_ptr<senet::DataSource> source;
  std::string error = catchMessage(
      [&] { source = senet::inMemorySource(imageTensor, labelTensor, numberList(o.Get("mean")), numberList(o.Get("std"))); });
  if (!error.empty()) throw Napi::Error::New(env, field + ": " + error);
  return source;
}

}  // namespace senet_binding
