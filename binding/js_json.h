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

// The other way (native structs → JS through their to_json: options, results,
// events, reports): objects, arrays, strings, numbers, booleans, null. Null
// members of objects are left out for options (an unset option) and kept for
// results, whose wire types (lib/native.ts) say `| null`.
enum class NullMembers { kOmit, kKeep };
Napi::Value jsFromJson(Napi::Env env, const nlohmann::json& value, NullMembers nulls = NullMembers::kOmit);
Napi::Value jsFromJson(Napi::Env env, const nlohmann::ordered_json& value, NullMembers nulls = NullMembers::kOmit);

// A native result in its wire form (the struct's to_json into senet::WireJson, io/json_fields.h): members in the
// order the struct lists them.
template <typename T>
Napi::Value resultToJs(Napi::Env env, const T& result) {
  return jsFromJson(env, nlohmann::ordered_json(result), NullMembers::kKeep);
}

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
