#include "model_wrap.h"

#include <chrono>

#include "addon_data.h"
#include "js_values.h"
#include "options.h"
#include "io/safetensors.h"
#include "task_worker.h"
#include "train_args.h"

namespace senet_binding {

namespace {

std::string pathArgument(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(info.Env(), "path must be a string");
  }
  return info[0].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> shapeArgument(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) throw Napi::TypeError::New(env, "shape must be an array [N, C, H, W]");
  auto array = value.As<Napi::Array>();
  if (array.Length() != 4) {
    throw Napi::TypeError::New(env, "shape must have 4 entries [N, C, H, W], got " + std::to_string(array.Length()));
  }
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < 4; ++i) {
    Napi::Value v = array.Get(i);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 1e9 && static_cast<double>(static_cast<int64_t>(d)) == d)) {
      throw Napi::TypeError::New(env, "shape[" + std::to_string(i) + "] must be a positive integer");
    }
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

}  // namespace

Napi::Function ModelWrap::Define(Napi::Env env) {
  return DefineClass(env, "Model",
                     {InstanceMethod<&ModelWrap::Predict>("predict"),
                      InstanceMethod<&ModelWrap::TimePredict>("timePredict"), InstanceMethod<&ModelWrap::Save>("save"),
                      InstanceMethod<&ModelWrap::Load>("load"),
                      InstanceMethod<&ModelWrap::Gradients>("gradients"), InstanceMethod<&ModelWrap::Summary>("summary"),
                      InstanceMethod<&ModelWrap::StateDictKeys>("stateDictKeys"),
                      InstanceMethod<&ModelWrap::ParameterCount>("parameterCount"),
                      InstanceMethod<&ModelWrap::Options>("options"),
                      InstanceMethod<&ModelWrap::Dispose>("dispose"),
                      InstanceMethod<&ModelWrap::Disposed>("disposed")});
}

Napi::Object ModelWrap::Wrap(Napi::Env env, std::shared_ptr<senet::Model> model) {
  auto holder = Napi::External<std::shared_ptr<senet::Model>>::New(
      env, new std::shared_ptr<senet::Model>(std::move(model)),
      [](Napi::Env, std::shared_ptr<senet::Model>* p) { delete p; });
  return AddonData::From(env).modelConstructor.New({holder});
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() >= 1 && info[0].IsExternal()) {
    model_ = *info[0].As<Napi::External<std::shared_ptr<senet::Model>>>().Data();
    return;
  }
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "Model expects an options object");
  senet::ModelOptions options = modelOptionsFromJs(info[0].As<Napi::Object>());
  std::string error = catchMessage([&] { model_ = std::make_shared<senet::Model>(options); });
  if (!error.empty()) throw Napi::Error::New(env, error);
}

std::shared_ptr<senet::Model> ModelWrap::FromValue(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(AddonData::From(env).modelConstructor.Value())) {
    throw Napi::TypeError::New(env, "expected a native Model");
  }
  return Unwrap(value.As<Napi::Object>())->model(env);
}

std::shared_ptr<senet::Model> ModelWrap::model(const Napi::Env& env) const {
  if (!model_) throw Napi::Error::New(env, "this model has been disposed; create or load a new one");
  return model_;
}

Napi::Value ModelWrap::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  if (info.Length() < 2 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "predict(input, shape) needs a Float32Array input");
  }
  auto input = info[0].As<Napi::Float32Array>();
  std::vector<int64_t> shape = shapeArgument(info[1]);
  const double expected = static_cast<double>(shape[0]) * shape[1] * shape[2] * shape[3];
  if (static_cast<double>(input.ElementLength()) != expected) {
    throw Napi::RangeError::New(env, "input has " + std::to_string(input.ElementLength()) +
                                         " values but shape needs " + std::to_string(static_cast<int64_t>(expected)));
  }
  const senet::InferenceSettings settings = inferenceSettingsFromJs(info[2]);
  auto result = std::make_shared<torch::Tensor>();
  float* data = input.Data();  // read on the worker thread; kept alive below
  return TaskWorker::Start(
      env,
      [model, data, shape, settings, result] {
        auto tensor = torch::from_blob(data, shape, torch::kFloat32);
        *result = model->predict(tensor, settings);
      },
      [result](Napi::Env env) -> Napi::Value {
            return toFloat32Array(env, *result);
      },
      {input});
}

// timePredict(shape, iterations): seconds of each of `iterations` predict
// calls on one constant input, measured on the worker thread around
// Model::predict alone (what a JS predict costs minus the crossing).
Napi::Value ModelWrap::TimePredict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, "timePredict(shape, iterations) needs a number of iterations");
  std::vector<int64_t> shape = shapeArgument(info[0]);
  const int64_t iterations = info[1].As<Napi::Number>().Int64Value();
  if (iterations < 1 || iterations > 100000) throw Napi::RangeError::New(env, "iterations must be in 1..100000");
  auto seconds = std::make_shared<std::vector<double>>();
  return TaskWorker::Start(
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

// gradients(input, shape, labels, path) -> Promise<loss>: one train-mode
// forward/backward; the parameter gradients are written to `path`
// (safetensors, state_dict names). For gradient parity tests.
Napi::Value ModelWrap::Gradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  if (info.Length() < 4 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[3].IsString()) {
    throw Napi::TypeError::New(env, "gradients(input, shape, labels, path) needs a Float32Array, a shape, an Int32Array and a path");
  }
  auto input = info[0].As<Napi::Float32Array>();
  auto labels = info[2].As<Napi::Int32Array>();
  std::vector<int64_t> shape = shapeArgument(info[1]);
  if (static_cast<double>(input.ElementLength()) != static_cast<double>(shape[0]) * shape[1] * shape[2] * shape[3]) {
    throw Napi::RangeError::New(env, "input length does not match shape");
  }
  const std::string path = info[3].As<Napi::String>().Utf8Value();
  const float* data = input.Data();
  const int32_t* classes = labels.Data();
  const int64_t count = static_cast<int64_t>(labels.ElementLength());
  auto loss = std::make_shared<double>(0.0);
  return TaskWorker::Start(
      env,
      [model, data, classes, count, shape, path, loss] {
        auto x = torch::from_blob(const_cast<float*>(data), shape, torch::kFloat32);
        auto y = torch::from_blob(const_cast<int32_t*>(classes), {count}, torch::kInt32).to(torch::kLong);
        auto [value, grads] = model->gradients(x, y);
        *loss = value;
        senet::writeSafetensors(path, grads, {{"format", "pt"}});
      },
      [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *loss); }, {input, labels});
}

Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  const std::string path = pathArgument(info);
  return TaskWorker::Start(
      env, [model, path] { model->save(path); }, [](Napi::Env env) { return env.Undefined(); });
}

Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  const std::string path = pathArgument(info);
  return TaskWorker::Start(
      env, [model, path] { model->load(path); }, [](Napi::Env env) { return env.Undefined(); });
}

Napi::Value ModelWrap::Summary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "summary(height, width) needs two numbers");
  }
  auto rows = model->summary(info[0].As<Napi::Number>().Int64Value(), info[1].As<Napi::Number>().Int64Value());
  auto array = Napi::Array::New(env, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto row = Napi::Object::New(env);
    row.Set("name", rows[i].name);
    row.Set("outputShape", toJsNumbers(env, rows[i].outputShape));
    row.Set("parameters", Napi::Number::New(env, static_cast<double>(rows[i].parameters)));
    array.Set(i, row);
  }
  return array;
}

Napi::Value ModelWrap::StateDictKeys(const Napi::CallbackInfo& info) {
  const auto& keys = model(info.Env())->stateDictKeys();
  auto array = Napi::Array::New(info.Env(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) array.Set(i, keys[i]);
  return array;
}

Napi::Value ModelWrap::ParameterCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(model(info.Env())->parameterCount()));
}

Napi::Value ModelWrap::Options(const Napi::CallbackInfo& info) {
  auto model = this->model(info.Env());
  auto options = modelOptionsToJs(info.Env(), model->options());
  options.Set("resolvedDevice", model->device().str());
  return options;
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  model_.reset();
  return info.Env().Undefined();
}

Napi::Value ModelWrap::Disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !model_);
}

}  // namespace senet_binding
