#include "options.h"

#include "js_json.h"

namespace senet_binding {

senet::ModelOptions modelOptionsFromJs(const Napi::Object& o) {
  return structFromJs<senet::ModelOptions>(o, "model options");
}

senet::TrainOptions trainOptionsFromJs(const Napi::Value& value) {
  return structFromJs<senet::TrainOptions>(value, "train options");
}

senet::InferenceSettings inferenceSettingsFromJs(const Napi::Value& value) {
  return value.IsObject() ? structFromJs<senet::InferenceSettings>(value, "inference options") : senet::InferenceSettings{};
}

Napi::Object modelOptionsToJs(Napi::Env env, const senet::ModelOptions& options) {
  return jsFromJson(env, nlohmann::json(options)).As<Napi::Object>();
}

}  // namespace senet_binding
