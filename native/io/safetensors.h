// safetensors reader/writer (https://huggingface.co/docs/safetensors): an
// 8-byte little-endian header length, a JSON header, then raw tensor bytes.
// Every file is untrusted: each length, offset and shape product is checked
// against the real size before a byte is read; nothing is ever executed.
#pragma once

#include <torch/torch.h>

#include "io/safetensors_header.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace senet {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  NamedTensors tensors;
};

SafetensorsFile readSafetensors(const std::string& path);
// Reads and validates only the header of the file at `path` (8 + its length bytes), with the fuzzed parser.
SafetensorsHeader readSafetensorsHeader(const std::string& path);
SafetensorsFile decodeSafetensors(const std::vector<uint8_t>& bytes, const std::string& source);

// Writes atomically: a temporary file in the same directory, fsync, rename.
// A crash mid-write leaves any previous file at `path` intact.
void writeSafetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata);

}  // namespace senet
