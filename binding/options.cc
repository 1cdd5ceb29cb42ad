#include "options.h"

#include <cmath>

namespace senet_binding {

namespace {

std::string stringField(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

int64_t intField(const Napi::Object& o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0) {
    throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be an integer");
  }
  return static_cast<int64_t>(d);
}

}  // namespace

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
