// Reading fields from JS option objects and building JS arrays: the small
// conversions every part of the binding needs, in one place.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace senet_binding {

inline std::string stringField(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

inline double numberField(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline int64_t intField(const Napi::Object& o, const char* key, int64_t fallback) {
  const double d = numberField(o, key, static_cast<double>(fallback));
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0) {
    throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be an integer");
  }
  return static_cast<int64_t>(d);
}

inline bool boolField(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

// Numbers of an array value; empty for anything that is not an array.
inline std::vector<double> numberList(const Napi::Value& v) {
  std::vector<double> out;
  if (!v.IsArray()) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a.Get(i);
    if (!item.IsNumber()) throw Napi::TypeError::New(v.Env(), "expected an array of numbers");
    out.push_back(item.As<Napi::Number>().DoubleValue());
  }
  return out;
}

template <typename T>
Napi::Array toJsNumbers(Napi::Env env, const std::vector<T>& values) {
  auto a = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) a.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  return a;
}

inline Napi::Array toJsStrings(Napi::Env env, const std::vector<std::string>& values) {
  auto a = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) a.Set(i, values[i]);
  return a;
}

// [N, C, H, W] of positive integers (lib/ checks more and says more).
inline std::vector<int64_t> shapeArgument(const Napi::Value& value) {
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

// Copies a float tensor (any device) into a new Float32Array.
inline Napi::Float32Array toFloat32Array(Napi::Env env, const torch::Tensor& t) {
  auto c = t.to(torch::kCPU).to(torch::kFloat32).contiguous();
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(c.numel()));
  std::memcpy(out.Data(), c.data_ptr<float>(), c.numel() * sizeof(float));
  return out;
}

}  // namespace senet_binding
