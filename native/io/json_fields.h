// JSON conversions the option structs need beyond nlohmann's own: an unset
// std::optional is null (or an absent key), a set one its value; and the wire
// form of the structs native code hands back to JS.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

namespace nlohmann {

template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& value) {
    if (value) j = *value;
    else j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& value) {
    if (j.is_null()) value.reset();
    else value = j.get<T>();
  }
};

}  // namespace nlohmann

namespace senet {

// The wire form of results, events and reports: a JSON object whose keys keep the order they were written in,
// so the JS objects built from it (binding/js_json.h) list their members as lib/native.ts declares them.
using WireJson = nlohmann::ordered_json;

}  // namespace senet

// A struct's wire form: its fields, under their own names, in this order. The list is the one place the wire
// members are named; test/unit/native-structs.test.ts compares it with the type lib/native.ts declares.
#define SENET_WIRE_FIELDS(Type, ...)                                                   \
  inline void to_json(::senet::WireJson& nlohmann_json_j, const Type& nlohmann_json_t) { \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))           \
  }
