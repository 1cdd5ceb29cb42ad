// The fixed-layout binary dataset formats, validated from bytes: IDX (MNIST
// family) headers and CIFAR-10/100 binary records. Bytes in, layout out, no
// libtorch and no file I/O, so these parsers of untrusted files can be fuzzed
// on their own (fuzz/); data_formats.cpp turns the layout into tensors.
// Errors are std::invalid_argument naming the file and the offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace senet {

struct IdxLayout {
  std::vector<int64_t> shape;  // expectedDims sizes
  uint64_t dataOffset = 0;     // where the uint8 data starts
  uint64_t count = 0;          // product of shape: bytes of data
};

// IDX: magic 0x00000800 | expectedDims (uint8 data), then expectedDims
// big-endian uint32 sizes, then the data. `bytes` is the whole (gunzipped) file.
IdxLayout parseIdx(const std::vector<uint8_t>& bytes, uint32_t expectedDims, const std::string& path);

struct CifarLayout {
  int64_t records = 0;          // each labelBytes + 3072 bytes
  std::vector<int64_t> labels;  // the label at labelOffset of each record, in [0, classes)
};

// CIFAR binary version: records of labelBytes label bytes then 3 x 32 x 32
// pixels; the label used is byte labelOffset of each record.
CifarLayout parseCifar(const std::vector<uint8_t>& bytes, int64_t labelBytes, int64_t labelOffset, int64_t classes,
                       const std::string& path);

}  // namespace senet
