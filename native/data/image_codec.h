// JPEG (libjpeg-turbo's TurboJPEG) and PNG (libpng) decoding into 8-bit HWC
// pixels with 1 or 3 channels, converting the way torchvision's PIL loader
// does: alpha dropped, palette expanded, 16-bit reduced to its high byte,
// gray replicated to RGB, RGB to gray with PIL's ITU-R 601-2 luma.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace senet {

class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Image {
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;          // 1 or 3
  std::vector<uint8_t> pixels;   // height x width x channels
};

struct ImageInfo {
  std::string format;  // jpeg | png
  int64_t height = 0;
  int64_t width = 0;
};

// Reads only the header: format and size. Throws ImageError naming the file.
ImageInfo probeImage(const std::string& path);

// Decodes a whole file to `channels` (1 or 3). Throws ImageError naming the file.
Image decodeImage(const std::string& path, int channels);
Image decodeImageBytes(const std::vector<uint8_t>& bytes, int channels, const std::string& source);

std::vector<uint8_t> readFileBytes(const std::string& path);

}  // namespace senet
