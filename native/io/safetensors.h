// safetensors reader/writer (https://huggingface.co/docs/safetensors): an
// 8-byte little-endian header length, a JSON header, then raw tensor bytes.
// Every file is untrusted: each length, offset and shape product is checked
// against the real size before a byte is read; nothing is ever executed.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  NamedTensors tensors;
};

// Largest header accepted (the reference implementation's limit).
constexpr uint64_t kMaxHeaderBytes = 100u * 1024u * 1024u;

// Parses and validates the header of a file of `size` bytes starting at
// `bytes` (only the first 8 + header-length bytes are read). `source` names
// the file in error messages.
SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, uint64_t size, const std::string& source);

SafetensorsFile readSafetensors(const std::string& path);
SafetensorsFile decodeSafetensors(const std::vector<uint8_t>& bytes, const std::string& source);

// Writes atomically: a temporary file in the same directory, fsync, rename.
// A crash mid-write leaves any previous file at `path` intact.
void writeSafetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata);

}  // namespace senet
