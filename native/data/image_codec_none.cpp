// image_codec.cpp for builds without libjpeg-turbo/libpng (CMake option
// SENET_REQUIRE_CODECS=OFF on a machine that lacks them, e.g. the GPU
// benchmark machine): raw files still read; decoding JPEG/PNG is a clear error.
#include <cerrno>
#include <cstring>
#include <fstream>

#include "data/image_codec.h"

namespace senet {

namespace {

[[noreturn]] void unsupported(const std::string& source) {
  throw ImageError(source + ": cannot decode image: this build of senet-lab has no JPEG/PNG support "
                            "(libjpeg-turbo and libpng were not found when it was compiled)");
}

}  // namespace

std::vector<uint8_t> readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ImageError(path + ": cannot open: " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  std::vector<uint8_t> bytes(static_cast<size_t>(size > 0 ? size : 0));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) throw ImageError(path + ": cannot read");
  return bytes;
}

Image decodeImageBytes(const std::vector<uint8_t>&, int, const std::string& source) { unsupported(source); }

Image decodeImage(const std::string& path, int) { unsupported(path); }

ImageInfo probeImage(const std::string& path) { unsupported(path); }

}  // namespace senet
