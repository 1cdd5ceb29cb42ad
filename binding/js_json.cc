#include "js_json.h"

#include <cmath>

namespace senet_binding {

nlohmann::json jsonFromJs(const Napi::Value& value) {
  if (value.IsBoolean()) return value.As<Napi::Boolean>().Value();
  if (value.IsNumber()) {
    const double d = value.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= 9007199254740991.0) return static_cast<int64_t>(d);
    return d;
  }
  if (value.IsString()) return value.As<Napi::String>().Utf8Value();
  if (value.IsArray()) {
    auto array = value.As<Napi::Array>();
    auto out = nlohmann::json::array();
    for (uint32_t i = 0; i < array.Length(); ++i) out.push_back(jsonFromJs(array.Get(i)));
    return out;
  }
  if (value.IsObject() && !value.IsFunction() && !value.IsTypedArray() && !value.IsArrayBuffer()) {
    auto object = value.As<Napi::Object>();
    auto out = nlohmann::json::object();
    auto keys = object.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      const Napi::Value key = keys.Get(i);
      const Napi::Value member = object.Get(key);
      if (member.IsUndefined() || member.IsFunction()) continue;
      out[key.ToString().Utf8Value()] = jsonFromJs(member);
    }
    return out;
  }
  return nullptr;
}

namespace {

template <typename Json>
Napi::Value jsFromAnyJson(Napi::Env env, const Json& value, NullMembers nulls) {
  if (value.is_boolean()) return Napi::Boolean::New(env, value.template get<bool>());
  if (value.is_number()) return Napi::Number::New(env, value.template get<double>());
  if (value.is_string()) return Napi::String::New(env, value.template get<std::string>());
  if (value.is_array()) {
    auto out = Napi::Array::New(env, value.size());
    for (size_t i = 0; i < value.size(); ++i) out.Set(static_cast<uint32_t>(i), jsFromAnyJson(env, value[i], nulls));
    return out;
  }
  if (value.is_object()) {
    auto out = Napi::Object::New(env);
    for (const auto& [key, member] : value.items()) {
      if (!member.is_null() || nulls == NullMembers::kKeep) out.Set(key, jsFromAnyJson(env, member, nulls));
    }
    return out;
  }
  return env.Null();
}

}  // namespace

Napi::Value jsFromJson(Napi::Env env, const nlohmann::json& value, NullMembers nulls) { return jsFromAnyJson(env, value, nulls); }

Napi::Value jsFromJson(Napi::Env env, const nlohmann::ordered_json& value, NullMembers nulls) {
  return jsFromAnyJson(env, value, nulls);
}

}  // namespace senet_binding
