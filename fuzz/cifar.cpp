// Fuzz target: the CIFAR-10/100 binary record parser (native/data/record_formats.cpp).
// The first input byte picks the variant (CIFAR-10, CIFAR-100 fine or coarse
// labels), the rest is the file. A refusal is std::invalid_argument; anything
// else is a finding. Every accepted label must lie in [0, classes).
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "data/record_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  struct Variant { int64_t labelBytes, labelOffset, classes; };
  static const Variant variants[] = {{1, 0, 10}, {2, 1, 100}, {2, 0, 20}};
  const Variant& v = variants[data[0] % 3];
  const std::vector<uint8_t> file(data + 1, data + size);
  try {
    const senet::CifarLayout layout = senet::parseCifar(file, v.labelBytes, v.labelOffset, v.classes, "<fuzz>");
    if (layout.records * (v.labelBytes + 3072) != static_cast<int64_t>(file.size())) __builtin_trap();
    if (static_cast<int64_t>(layout.labels.size()) != layout.records) __builtin_trap();
    for (int64_t label : layout.labels) {
      if (label < 0 || label >= v.classes) __builtin_trap();
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
