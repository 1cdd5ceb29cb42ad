#include "train_args.h"

#include <cstring>

#include "dataset_wrap.h"
#include "errors.h"

namespace senet_binding {

namespace {

double number(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t integer(const Napi::Object& o, const char* key, int64_t fallback) {
  return static_cast<int64_t>(number(o, key, static_cast<double>(fallback)));
}

bool boolean(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

std::string string(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Object child(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(o.Env());
}

std::vector<double> numbers(const Napi::Object& o, const char* key) {
  std::vector<double> out;
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).As<Napi::Number>().DoubleValue());
  return out;
}

}  // namespace

senet::TrainOptions trainOptionsFromJs(const Napi::Object& o) {
  senet::TrainOptions t;
  t.iterations = integer(o, "iterations", t.iterations);
  t.batchSize = integer(o, "batchSize", t.batchSize);
  t.labelSmoothing = number(o, "labelSmoothing", t.labelSmoothing);
  t.logEvery = integer(o, "logEvery", t.logEvery);
  t.evalEvery = integer(o, "evalEvery", t.evalEvery);
  t.evalBatchSize = integer(o, "evalBatchSize", t.evalBatchSize);
  t.checkpointEvery = integer(o, "checkpointEvery", t.checkpointEvery);
  t.keepCheckpoints = integer(o, "keepCheckpoints", t.keepCheckpoints);
  t.outDir = string(o, "outDir", t.outDir);
  t.resume = boolean(o, "resume", t.resume);
  t.seed = static_cast<uint64_t>(integer(o, "seed", 0));
  t.shuffle = boolean(o, "shuffle", t.shuffle);
  t.dropLast = boolean(o, "dropLast", t.dropLast);
  t.skipNonFinite = boolean(o, "skipNonFinite", t.skipNonFinite);
  t.workers = integer(o, "workers", t.workers);
  t.prefetch = integer(o, "prefetch", t.prefetch);
  t.rank = integer(o, "rank", t.rank);
  t.worldSize = integer(o, "worldSize", t.worldSize);

  Napi::Object opt = child(o, "optimizer");
  auto& op = t.optimizer;
  op.type = string(opt, "type", op.type);
  op.lr = number(opt, "lr", op.lr);
  op.momentum = number(opt, "momentum", op.momentum);
  op.dampening = number(opt, "dampening", op.dampening);
  op.nesterov = boolean(opt, "nesterov", op.nesterov);
  op.weightDecay = number(opt, "weightDecay", op.weightDecay);
  op.decayNormAndBias = boolean(opt, "decayNormAndBias", op.decayNormAndBias);
  auto betas = numbers(opt, "betas");
  if (betas.size() == 2) {
    op.beta1 = betas[0];
    op.beta2 = betas[1];
  }
  op.eps = number(opt, "eps", op.eps);

  Napi::Object sched = child(o, "schedule");
  auto& s = t.schedule;
  s.type = string(sched, "type", s.type);
  s.stepSize = integer(sched, "stepSize", s.stepSize);
  for (double m : numbers(sched, "milestones")) s.milestones.push_back(static_cast<int64_t>(m));
  s.gamma = number(sched, "gamma", s.gamma);
  s.finalLr = number(sched, "finalLr", s.finalLr);
  s.warmupIterations = integer(sched, "warmupIterations", s.warmupIterations);
  s.warmupStartFactor = number(sched, "warmupStartFactor", s.warmupStartFactor);
  return t;
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
      [&] { source = senet::inMemorySource(imageTensor, labelTensor, numbers(o, "mean"), numbers(o, "std")); });
  if (!error.empty()) throw Napi::Error::New(env, field + ": " + error);
  return source;
}

}  // namespace senet_binding
