// Fuzz target: the JPEG/PNG decode path (native/data/image_codec.cpp on
// libjpeg-turbo's TurboJPEG and libpng), which every ImageFolder and Tiny
// ImageNet sample goes through. The first input byte picks the output
// channels (1 or 3), the rest is the file. A refusal is an ImageError;
// anything else is a finding. A decoded image must hold exactly
// height x width x channels pixels.
#include <cstdint>
#include <vector>

#include "data/image_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int channels = (data[0] & 1) ? 3 : 1;
  const std::vector<uint8_t> file(data + 1, data + size);
  try {
    const senet::Image image = senet::decodeImageBytes(file, channels, "<fuzz>");
    if (image.channels != channels || image.height <= 0 || image.width <= 0) __builtin_trap();
    if (image.pixels.size() != static_cast<size_t>(image.height * image.width * image.channels)) __builtin_trap();
  } catch (const senet::ImageError&) {
  }
  return 0;
}
