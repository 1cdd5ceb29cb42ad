#include "data/image_codec.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstring>
#include <fstream>
#include <memory>

namespace senet {

namespace {

bool isJpeg(const std::vector<uint8_t>& b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }
bool isPng(const std::vector<uint8_t>& b) { return b.size() >= 8 && png_sig_cmp(b.data(), 0, 8) == 0; }

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw ImageError(source + ": cannot decode image: " + what);
}

// PIL's "L" conversion: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16.
void rgbToGray(Image& image) {
  const size_t n = static_cast<size_t>(image.height * image.width);
  std::vector<uint8_t> gray(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = &image.pixels[3 * i];
    gray[i] = static_cast<uint8_t>((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 0x8000u) >> 16);
  }
  image.pixels = std::move(gray);
  image.channels = 1;
}

void grayToRgb(Image& image) {
  const size_t n = static_cast<size_t>(image.height * image.width);
  std::vector<uint8_t> rgb(3 * n);
  for (size_t i = 0; i < n; ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = image.pixels[i];
  image.pixels = std::move(rgb);
  image.channels = 3;
}

void convertChannels(Image& image, int channels) {
  if (image.channels == channels) return;
  if (channels == 1) rgbToGray(image);
  else grayToRgb(image);
}

struct TjHandle {
  tjhandle handle = tjInitDecompress();
  ~TjHandle() {
    if (handle) tjDestroy(handle);
  }
};

Image decodeJpeg(const std::vector<uint8_t>& bytes, int channels, const std::string& source) {
  TjHandle tj;
  if (!tj.handle) fail(source, "TurboJPEG could not start");
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.handle, bytes.data(), static_cast<unsigned long>(bytes.size()), &width, &height, &subsamp,
                          &colorspace) != 0) {
    fail(source, std::string("JPEG header: ") + tjGetErrorStr2(tj.handle));
  }
  if (width <= 0 || height <= 0 || static_cast<int64_t>(width) * height > (1LL << 28)) {
    fail(source, "JPEG size " + std::to_string(width) + "x" + std::to_string(height) + " is out of range");
  }
  Image image;
  image.width = width;
  image.height = height;
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const bool gray = colorspace == TJCS_GRAY;
  const int pixelFormat = cmyk ? TJPF_CMYK : (gray ? TJPF_GRAY : TJPF_RGB);
  const int pixelSize = tjPixelSize[pixelFormat];
  std::vector<uint8_t> out(static_cast<size_t>(width) * height * pixelSize);
  if (tjDecompress2(tj.handle, bytes.data(), static_cast<unsigned long>(bytes.size()), out.data(), width, 0, height,
                    pixelFormat, TJFLAG_ACCURATEDCT) != 0 &&
      tjGetErrorCode(tj.handle) == TJERR_FATAL) {
    fail(source, std::string("JPEG data: ") + tjGetErrorStr2(tj.handle));
  }
  if (cmyk) {
    // Adobe CMYK JPEGs store inverted values; PIL reads them as "CMYK;I" and
    // converts with r = 255 - k' - c'·(255 - k')/255 (its cmyk2rgb).
    auto muldiv255 = [](int a, int b) {
      const int t = a * b + 128;
      return ((t >> 8) + t) >> 8;
    };
    image.channels = 3;
    image.pixels.resize(static_cast<size_t>(width) * height * 3);
    for (size_t i = 0; i < static_cast<size_t>(width) * height; ++i) {
      const int nk = out[4 * i + 3];  // 255 - (255 - raw k)
      for (int ch = 0; ch < 3; ++ch) {
        const int c = 255 - out[4 * i + ch];
        image.pixels[3 * i + ch] = static_cast<uint8_t>(std::clamp(nk - muldiv255(c, nk), 0, 255));
      }
    }
  } else {
    image.channels = gray ? 1 : 3;
    image.pixels = std::move(out);
  }
  convertChannels(image, channels);
  return image;
}

struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const std::vector<uint8_t>* bytes = nullptr;
  size_t offset = 0;
  std::string error;
  ~PngReader() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

void pngRead(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (reader->offset + length > reader->bytes->size()) png_error(png, "file is truncated");
  std::memcpy(out, reader->bytes->data() + reader->offset, length);
  reader->offset += length;
}

void pngError(png_structp png, png_const_charp message) {
  auto* reader = static_cast<PngReader*>(png_get_error_ptr(png));
  reader->error = message;
  png_longjmp(png, 1);
}

void pngWarning(png_structp, png_const_charp) {}

Image decodePng(const std::vector<uint8_t>& bytes, int channels, const std::string& source) {
  PngReader reader;
  reader.bytes = &bytes;
  reader.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, pngError, pngWarning);
  if (!reader.png) fail(source, "libpng could not start");
  reader.info = png_create_info_struct(reader.png);
  if (!reader.info) fail(source, "libpng could not start");
  Image image;
  std::vector<png_bytep> rows;
  // libpng reports errors by longjmp: no C++ object with a destructor may be
  // created between setjmp and the end of decoding except those above.
  if (setjmp(png_jmpbuf(reader.png))) fail(source, "PNG: " + reader.error);
  png_set_read_fn(reader.png, &reader, pngRead);
  png_set_user_limits(reader.png, 1 << 15, 1 << 15);
  png_read_info(reader.png, reader.info);
  const png_byte colorType = png_get_color_type(reader.png, reader.info);
  png_set_strip_16(reader.png);                 // high byte, as PIL
  png_set_packing(reader.png);
  if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(reader.png);
  if (colorType == PNG_COLOR_TYPE_GRAY) png_set_expand_gray_1_2_4_to_8(reader.png);
  png_set_strip_alpha(reader.png);              // PIL's convert('RGB') drops alpha
  png_read_update_info(reader.png, reader.info);
  image.width = png_get_image_width(reader.png, reader.info);
  image.height = png_get_image_height(reader.png, reader.info);
  image.channels = png_get_channels(reader.png, reader.info);
  if (image.channels != 1 && image.channels != 3) fail(source, "PNG with " + std::to_string(image.channels) + " channels after conversion");
  image.pixels.resize(static_cast<size_t>(image.width * image.height * image.channels));
  rows.resize(static_cast<size_t>(image.height));
  for (int64_t y = 0; y < image.height; ++y) rows[y] = image.pixels.data() + y * image.width * image.channels;
  png_read_image(reader.png, rows.data());
  png_read_end(reader.png, nullptr);
  convertChannels(image, channels);
  return image;
}

}  // namespace

std::vector<uint8_t> readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ImageError(path + ": cannot open: " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamoff>(size, 0)));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) throw ImageError(path + ": cannot read");
  return bytes;
}

Image decodeImageBytes(const std::vector<uint8_t>& bytes, int channels, const std::string& source) {
  if (channels != 1 && channels != 3) throw ImageError("channels must be 1 or 3");
  if (isJpeg(bytes)) return decodeJpeg(bytes, channels, source);
  if (isPng(bytes)) return decodePng(bytes, channels, source);
  fail(source, "not a JPEG or PNG file (unknown signature)");
}

Image decodeImage(const std::string& path, int channels) { return decodeImageBytes(readFileBytes(path), channels, path); }

ImageInfo probeImage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ImageError(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> head(64 * 1024);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  ImageInfo info;
  if (isPng(head)) {
    // IHDR follows the signature: length(4) "IHDR"(4) width(4) height(4), big-endian.
    if (head.size() < 24 || std::memcmp(&head[12], "IHDR", 4) != 0) fail(path, "PNG without IHDR");
    auto be32 = [&](size_t o) { return (int64_t(head[o]) << 24) | (head[o + 1] << 16) | (head[o + 2] << 8) | head[o + 3]; };
    info = {"png", be32(20), be32(16)};
  } else if (isJpeg(head)) {
    // Whole-file header parse: SOF can sit after large EXIF blocks.
    std::vector<uint8_t> bytes = readFileBytes(path);
    TjHandle tj;
    int width = 0, height = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(tj.handle, bytes.data(), static_cast<unsigned long>(bytes.size()), &width, &height, &subsamp,
                            &colorspace) != 0) {
      fail(path, std::string("JPEG header: ") + tjGetErrorStr2(tj.handle));
    }
    info = {"jpeg", height, width};
  } else {
    fail(path, "not a JPEG or PNG file (unknown signature)");
  }
  if (info.width <= 0 || info.height <= 0) fail(path, "image has an empty size");
  return info;
}

}  // namespace senet
