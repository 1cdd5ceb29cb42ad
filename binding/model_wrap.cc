#include "model_wrap.h"

#include "addon_data.h"
#include "js_json.h"
#include "js_values.h"
#include "live_models.h"
#include "options.h"
#include "io/safetensors.h"
#include "promise_job.h"

namespace senet_binding {

namespace {

std::string pathArgument(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(info.Env(), "path must be a string");
  }
  return info[0].As<Napi::String>().Utf8Value();
}

}  // namespace

Napi::Function ModelWrap::Define(Napi::Env env) {
  return DefineClass(env, "Model",
                     {InstanceMethod<&ModelWrap::Predict>("predict"),
                      InstanceMethod<&ModelWrap::Save>("save"),
                      InstanceMethod<&ModelWrap::Load>("load"),
                      InstanceMethod<&ModelWrap::Summary>("summary"),
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
  std::string error = catchMessage([&] { model_ = trackModel(std::make_unique<senet::Model>(options)); });
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
  return startPromiseJob(
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

Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  const std::string path = pathArgument(info);
  return startPromiseJob(
      env, [model, path] { model->save(path); }, [](Napi::Env env) { return env.Undefined(); });
}

Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  const std::string path = pathArgument(info);
  return startPromiseJob(
      env, [model, path] { model->load(path); }, [](Napi::Env env) { return env.Undefined(); });
}

Napi::Value ModelWrap::Summary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = this->model(env);
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "summary(height, width) needs two numbers");
  }
  return resultToJs(env, model->summary(info[0].As<Napi::Number>().Int64Value(), info[1].As<Napi::Number>().Int64Value()));
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
