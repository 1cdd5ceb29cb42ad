#include "options.h"

#include "js_values.h"

namespace senet_binding {

senet::ModelOptions modelOptionsFromJs(const Napi::Object& o) {
  senet::ModelOptions options;
  options.arch = stringField(o, "arch", options.arch);
  options.stem = stringField(o, "stem", options.stem);
  options.attention = stringField(o, "attention", options.attention);
  options.inChannels = intField(o, "inChannels", options.inChannels);
  options.numClasses = intField(o, "numClasses", options.numClasses);
  options.reduction = intField(o, "reduction", options.reduction);
  options.device = stringField(o, "device", options.device);
  Napi::Value zero = o.Get("zeroInitResidual");
  if (!zero.IsUndefined()) options.zeroInitResidual = zero.ToBoolean().Value();
  Napi::Value seed = o.Get("seed");
  if (!seed.IsUndefined() && !seed.IsNull()) {
    const int64_t value = intField(o, "seed", 0);
    if (value < 0) throw Napi::RangeError::New(o.Env(), "option 'seed' must be a non-negative integer");
    options.hasSeed = true;
    options.seed = static_cast<uint64_t>(value);
  }
  return options;
}

Napi::Object modelOptionsToJs(Napi::Env env, const senet::ModelOptions& options) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("arch", options.arch);
  o.Set("stem", options.stem);
  o.Set("attention", options.attention);
  o.Set("inChannels", Napi::Number::New(env, static_cast<double>(options.inChannels)));
  o.Set("numClasses", Napi::Number::New(env, static_cast<double>(options.numClasses)));
  o.Set("reduction", Napi::Number::New(env, static_cast<double>(options.reduction)));
  o.Set("zeroInitResidual", options.zeroInitResidual);
  if (options.hasSeed) o.Set("seed", Napi::Number::New(env, static_cast<double>(options.seed)));
  o.Set("device", options.device);
  return o;
}

}  // namespace senet_binding
