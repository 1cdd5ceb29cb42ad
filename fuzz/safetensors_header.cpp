// Fuzz target: the safetensors header parser (native/io/safetensors_header.cpp),
// the first code to see a weights file or a Buffer handed to load().
// A refusal is a SafetensorsError; any other exception, a crash or an ASan or
// UBSan report is a finding. The byte ranges of an accepted header are read in
// full, as decodeSafetensors copies them, so an entry that points outside the
// data section is caught by ASan here.
#include <cstdint>
#include <cstring>
#include <vector>

#include "io/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const senet::SafetensorsHeader header = senet::parseSafetensorsHeader(data, size, "<fuzz>");
    if (header.dataStart + header.dataSize != size) __builtin_trap();
    for (const auto& entry : header.tensors) {
      if (entry.begin > entry.end || entry.end > header.dataSize) __builtin_trap();
      std::vector<uint8_t> copy(entry.end - entry.begin);
      if (!copy.empty()) std::memcpy(copy.data(), data + header.dataStart + entry.begin, copy.size());
    }
  } catch (const senet::SafetensorsError&) {
  }
  return 0;
}
