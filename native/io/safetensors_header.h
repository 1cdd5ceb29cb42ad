// The safetensors header (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, then a JSON object naming each tensor's dtype,
// shape and byte range in the data section. Bytes in, structs out, no libtorch:
// the parser that sees untrusted input is small enough to fuzz on its own.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

namespace senet {

class SafetensorsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorEntry {
  std::string name;
  std::string dtype;             // F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL
  std::vector<int64_t> shape;
  uint64_t begin = 0;            // offsets into the data section
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;  // in data-offset order
  std::map<std::string, std::string> metadata;
  uint64_t dataStart = 0;            // 8 + header length
  uint64_t dataSize = 0;
};
// The wire form: lib/native.ts SafetensorsInspection (inspectSafetensors()).
SENET_WIRE_FIELDS(TensorEntry, name, dtype, shape, begin, end)
SENET_WIRE_FIELDS(SafetensorsHeader, tensors, metadata, dataStart, dataSize)

// Largest header accepted (the reference implementation's limit).
constexpr uint64_t kMaxHeaderBytes = 100u * 1024u * 1024u;

// Bytes per element of a safetensors dtype name; 0 for a name it does not know.
uint64_t safetensorsDtypeBytes(const std::string& dtype);

// Parses and validates the header of a file of `size` bytes starting at
// `bytes` (only the first 8 + header-length bytes are read). Every entry's
// byte range lies inside the data section and matches its dtype and shape.
// `source` names the file in error messages.
SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, uint64_t size, const std::string& source);

}  // namespace senet
