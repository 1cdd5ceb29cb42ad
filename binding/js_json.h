// JS option objects → native option structs. A validated JS object is turned
// into JSON and read through the struct's JSON field list (native/*/
// *_options.h), so the binding never names individual options: a new option
// needs no change here.
#pragma once

#include <napi.h>

#include <nlohmann/json.hpp>
#include <string>

namespace senet_binding {

// Plain data only: objects, arrays, strings, numbers (integral ones as
// integers), booleans, null; undefined members and functions are skipped.
nlohmann::json jsonFromJs(const Napi::Value& value);

// The other way (structs → JS via to_json): objects, arrays, strings, numbers,
// booleans; null members of objects are left out (an unset option).
Napi::Value jsFromJson(Napi::Env env, const nlohmann::json& value);

// Copies `value` into a T; a value of the wrong type (only possible for
// callers that bypass lib/'s validation) is a TypeError naming `what`.
template <typename T>
T structFromJs(const Napi::Value& value, const char* what) {
  try {
    return jsonFromJs(value).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": " + e.what() + " (lib/ validates these options; pass them through its API)");
  }
}

}  // namespace senet_binding
