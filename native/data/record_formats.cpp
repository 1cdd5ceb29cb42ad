#include "data/record_formats.h"

#include <sstream>
#include <stdexcept>

namespace senet {

namespace {

[[noreturn]] void bad(const std::string& file, const std::string& what) { throw std::invalid_argument(file + ": " + what); }

uint32_t be32(const std::vector<uint8_t>& b, size_t o) {
  return (uint32_t(b[o]) << 24) | (uint32_t(b[o + 1]) << 16) | (uint32_t(b[o + 2]) << 8) | b[o + 3];
}

}  // namespace

IdxLayout parseIdx(const std::vector<uint8_t>& b, uint32_t expectedDims, const std::string& path) {
  if (b.size() < 4) bad(path, "truncated IDX header (" + std::to_string(b.size()) + " bytes)");
  const uint32_t magic = be32(b, 0);
  if (magic != (0x800u | expectedDims)) {
    std::ostringstream s;
    s << "wrong IDX magic number 0x" << std::hex << magic << " at offset 0 (expected 0x" << (0x800u | expectedDims) << ")";
    bad(path, s.str());
  }
  if (b.size() < 4 + 4 * expectedDims) bad(path, "truncated IDX header");
  IdxLayout layout;
  uint64_t count = 1;
  for (uint32_t d = 0; d < expectedDims; ++d) {
    layout.shape.push_back(be32(b, 4 + 4 * d));
    count *= static_cast<uint64_t>(layout.shape.back());
    if (count > (1ull << 34)) bad(path, "IDX dimensions are implausibly large");
  }
  layout.dataOffset = 4 + 4 * expectedDims;
  layout.count = count;
  if (b.size() - layout.dataOffset < count) {
    bad(path, "truncated IDX data: header promises " + std::to_string(count) + " bytes from offset " +
                  std::to_string(layout.dataOffset) + " but the file has " + std::to_string(b.size() - layout.dataOffset));
  }
  return layout;
}

CifarLayout parseCifar(const std::vector<uint8_t>& b, int64_t labelBytes, int64_t labelOffset, int64_t classes,
                       const std::string& path) {
  const int64_t record = labelBytes + 3072;
  const uint64_t size = b.size();
  if (b.empty() || size % record != 0) {
    bad(path, "size " + std::to_string(size) + " is not a multiple of the " + std::to_string(record) +
                  "-byte record (truncated file? record " + std::to_string(size / record) + " at offset " +
                  std::to_string((size / record) * record) + " is incomplete)");
  }
  CifarLayout layout;
  layout.records = static_cast<int64_t>(size / record);
  layout.labels.reserve(static_cast<size_t>(layout.records));
  for (int64_t r = 0; r < layout.records; ++r) {
    const int64_t at = r * record + labelOffset;
    const int64_t label = b[static_cast<size_t>(at)];
    if (label >= classes) {
      bad(path, "label " + std::to_string(label) + " at offset " + std::to_string(at) + " is outside [0, " +
                    std::to_string(classes - 1) + "]");
    }
    layout.labels.push_back(label);
  }
  return layout;
}

}  // namespace senet
