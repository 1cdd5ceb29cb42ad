#include "options.h"

#include "js_json.h"

namespace senet_binding {

senet::ModelOptions modelOptionsFromJs(const Napi::Object& o) {
  return structFromJs<senet::ModelOptions>(o, "model options");
}

Napi::Object modelOptionsToJs(Napi::Env env, const senet::ModelOptions& options) {
  return jsFromJson(env, nlohmann::json(options)).As<Napi::Object>();
}

}  // namespace senet_binding
