// Fuzz target: the IDX (MNIST family) header parser (native/data/record_formats.cpp).
// The first input byte picks the header kind (images: 3 dims, labels: 1 dim),
// the rest is the file. A refusal is std::invalid_argument; anything else is a
// finding. The data an accepted header promises is read in full, as the
// reader copies it into a tensor, so a short file that slips through is
// caught by ASan.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "data/record_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t dims = (data[0] & 1) ? 3 : 1;
  const std::vector<uint8_t> file(data + 1, data + size);
  try {
    const senet::IdxLayout layout = senet::parseIdx(file, dims, "<fuzz>");
    if (layout.shape.size() != dims) __builtin_trap();
    uint64_t count = 1;
    for (int64_t d : layout.shape) count *= static_cast<uint64_t>(d);
    if (count != layout.count) __builtin_trap();
    volatile uint8_t sum = 0;
    for (uint64_t i = 0; i < layout.count; ++i) sum = sum + file.data()[layout.dataOffset + i];
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
