#include "io/safetensors_header.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace senet {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw SafetensorsError(source + ": not a valid safetensors file: " + what);
}

uint64_t readU64LE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t checkedMul(uint64_t a, uint64_t b, const std::string& source, const std::string& key) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) fail(source, "tensor '" + key + "' is too large");
  return a * b;
}

TensorEntry parseEntry(const std::string& key, const json& value, uint64_t dataSize, const std::string& source) {
  if (!value.is_object()) fail(source, "entry '" + key + "' is not an object");
  TensorEntry entry;
  entry.name = key;
  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) fail(source, "entry '" + key + "' has no string 'dtype'");
  entry.dtype = dtype->get<std::string>();
  const uint64_t elementBytes = safetensorsDtypeBytes(entry.dtype);
  if (elementBytes == 0) fail(source, "entry '" + key + "' has unsupported dtype '" + entry.dtype + "'");

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) fail(source, "entry '" + key + "' has no 'shape' array");
  uint64_t numel = 1;
  for (const auto& dim : *shape) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(source, "entry '" + key + "' has a shape dimension that is not a non-negative integer");
    }
    numel = checkedMul(numel, dim.get<uint64_t>(), source, key);
    entry.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned()) {
    fail(source, "entry '" + key + "' needs 'data_offsets' as two non-negative integers");
  }
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.begin > entry.end || entry.end > dataSize) {
    fail(source, "entry '" + key + "' claims bytes [" + std::to_string(entry.begin) + ", " +
                     std::to_string(entry.end) + ") but the data section has " + std::to_string(dataSize) +
                     " bytes (truncated file?)");
  }
  const uint64_t expected = checkedMul(numel, elementBytes, source, key);
  if (entry.end - entry.begin != expected) {
    fail(source, "entry '" + key + "' spans " + std::to_string(entry.end - entry.begin) + " bytes but its dtype " +
                     entry.dtype + " and shape need " + std::to_string(expected));
  }
  return entry;
}

}  // namespace

uint64_t safetensorsDtypeBytes(const std::string& dtype) {
  static const std::map<std::string, uint64_t> sizes = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                                         {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  const auto found = sizes.find(dtype);
  return found == sizes.end() ? 0 : found->second;
}

SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, uint64_t size, const std::string& source) {
  if (size < 8) fail(source, "file has " + std::to_string(size) + " bytes, fewer than the 8-byte header length");
  const uint64_t headerLength = readU64LE(bytes);
  if (headerLength > kMaxHeaderBytes) {
    fail(source, "header length " + std::to_string(headerLength) + " exceeds the 100 MiB limit");
  }
  if (headerLength > size - 8) {
    fail(source, "header length " + std::to_string(headerLength) + " runs past the end of the file (" +
                     std::to_string(size) + " bytes)");
  }
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  json header = json::parse(text, text + headerLength, /*callback=*/nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) fail(source, "header is not valid JSON");
  if (!header.is_object()) fail(source, "header is not a JSON object");

  SafetensorsHeader result;
  result.dataStart = 8 + headerLength;
  result.dataSize = size - result.dataStart;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail(source, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) fail(source, "__metadata__ value '" + m.key() + "' is not a string");
        result.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    result.tensors.push_back(parseEntry(it.key(), *it, result.dataSize, source));
  }
  std::sort(result.tensors.begin(), result.tensors.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.begin < b.begin; });
  return result;
}

}  // namespace senet
