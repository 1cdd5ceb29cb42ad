#include "data/transforms.h"

#include <cmath>
#include <stdexcept>

namespace senet {

SampleRandom::SampleRandom(uint64_t seed, int64_t epoch, int64_t index) {
  state_ = seed * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(epoch) + 1) * 0xBF58476D1CE4E5B9ull ^
           (static_cast<uint64_t>(index) + 1) * 0x94D049BB133111EBull;
  next();
}

uint64_t SampleRandom::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SampleRandom::uniform(double low, double high) {
  return low + (high - low) * (static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0));
}

int64_t SampleRandom::integer(int64_t low, int64_t high) {
  if (high <= low) return low;
  return low + static_cast<int64_t>(next() % static_cast<uint64_t>(high - low));
}

torch::Tensor toUnitFloat(const torch::Tensor& image) {
  return image.scalar_type() == torch::kUInt8 ? image.to(torch::kFloat32).div_(255.0)
                                              : image.to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
}

void normalizeInPlace(torch::Tensor& x, const std::vector<double>& mean, const std::vector<double>& std) {
  const auto c = static_cast<int64_t>(mean.size());
  // Rounded to float first, as torchvision's normalize does with float tensors.
  x.sub_(torch::tensor(mean, torch::kFloat64).to(torch::kFloat32).view({c, 1, 1}))
      .div_(torch::tensor(std, torch::kFloat64).to(torch::kFloat32).view({c, 1, 1}));
}

torch::Tensor resizeImage(const torch::Tensor& image, int64_t height, int64_t width) {
  if (image.size(1) == height && image.size(2) == width) return image;
  auto x = image.unsqueeze(0).to(torch::kFloat32);
  // Antialiased bilinear, as torchvision's resize(antialias=True).
  x = at::_upsample_bilinear2d_aa(x, {height, width}, /*align_corners=*/false).squeeze(0);
  if (image.scalar_type() != torch::kUInt8) return x;
  return x.round_().clamp_(0, 255).to(torch::kUInt8);  // torchvision rounds uint8 results
}

torch::Tensor cropImage(const torch::Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width) {
  const int64_t h = image.size(1), w = image.size(2);
  if (top >= 0 && left >= 0 && top + height <= h && left + width <= w) {
    return image.narrow(1, top, height).narrow(2, left, width);
  }
  // torchvision pads with zeros where the crop leaves the image.
  auto out = torch::zeros({image.size(0), height, width}, image.options());
  const int64_t y0 = std::max<int64_t>(top, 0), x0 = std::max<int64_t>(left, 0);
  const int64_t y1 = std::min(top + height, h), x1 = std::min(left + width, w);
  if (y1 > y0 && x1 > x0) {
    out.narrow(1, y0 - top, y1 - y0).narrow(2, x0 - left, x1 - x0).copy_(image.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0));
  }
  return out;
}

torch::Tensor centerCropImage(const torch::Tensor& image, int64_t height, int64_t width) {
  // torchvision: a crop larger than the image first pads (ch - h) // 2 on the
  // top/left; otherwise crop_top = int(round((h - ch) / 2.0)), half to even.
  auto offset = [](int64_t size, int64_t crop) {
    return crop > size ? -((crop - size) / 2) : static_cast<int64_t>(std::nearbyint((size - crop) / 2.0));
  };
  return cropImage(image, offset(image.size(1), height), offset(image.size(2), width), height, width);
}

namespace {

std::pair<int64_t, int64_t> sizeOf(const TransformSpec& t) {
  return t.size.size() == 1 ? std::make_pair(t.size[0], t.size[0]) : std::make_pair(t.size[0], t.size[1]);
}

// torchvision RandomResizedCrop.get_params.
std::array<int64_t, 4> resizedCropParams(const TransformSpec& t, int64_t height, int64_t width, SampleRandom& random) {
  const double area = static_cast<double>(height * width);
  const double logLow = std::log(t.ratio[0]), logHigh = std::log(t.ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * random.uniform(t.scale[0], t.scale[1]);
    const double aspect = std::exp(random.uniform(logLow, logHigh));
    const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(target * aspect)));
    const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(target / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return {random.integer(0, height - h + 1), random.integer(0, width - w + 1), h, w};
    }
  }
  const double inRatio = static_cast<double>(width) / static_cast<double>(height);
  int64_t w = width, h = height;
  if (inRatio < t.ratio[0]) h = static_cast<int64_t>(std::nearbyint(w / t.ratio[0]));
  else if (inRatio > t.ratio[1]) w = static_cast<int64_t>(std::nearbyint(h * t.ratio[1]));
  return {(height - h) / 2, (width - w) / 2, h, w};
}

std::pair<int64_t, int64_t> resizedSize(const TransformSpec& t, int64_t h, int64_t w) {
  if (t.size.size() == 2) return {t.size[0], t.size[1]};
  // Shorter side to size, the other keeps the aspect ratio (torchvision truncates).
  const int64_t s = t.size[0];
  if (h <= w) return {s, static_cast<int64_t>(static_cast<double>(s) * w / h)};
  return {static_cast<int64_t>(static_cast<double>(s) * h / w), s};
}

}  // namespace

TransformPipeline::TransformPipeline(std::vector<TransformSpec> specs) : specs_(std::move(specs)) {
  for (size_t i = 0; i < specs_.size(); ++i) {
    const auto& t = specs_[i];
    const std::string field = "transforms[" + std::to_string(i) + "]";
    const bool sized = t.type == "randomCrop" || t.type == "randomResizedCrop" || t.type == "resize" || t.type == "centerCrop";
    if (sized && (t.size.empty() || t.size.size() > 2 || t.size[0] < 1 || t.size.back() < 1)) {
      throw std::invalid_argument(field + ".size must be a positive size or [height, width]");
    }
    if (t.type == "normalize") {
      if (t.mean.empty() || t.mean.size() != t.std.size()) throw std::invalid_argument(field + ": normalize needs mean and std of equal length");
      for (double s : t.std) {
        if (!(s > 0)) throw std::invalid_argument(field + ": normalize std must be > 0");
      }
      if (i + 1 != specs_.size()) throw std::invalid_argument(field + ": normalize must be the last transform");
    } else if (t.type == "randomResizedCrop") {
      if (t.scale.size() != 2 || !(t.scale[0] > 0 && t.scale[0] <= t.scale[1])) throw std::invalid_argument(field + ".scale must be [min, max] with 0 < min <= max");
      if (t.ratio.size() != 2 || !(t.ratio[0] > 0 && t.ratio[0] <= t.ratio[1])) throw std::invalid_argument(field + ".ratio must be [min, max] with 0 < min <= max");
    } else if (t.type == "hflip") {
      if (!(t.p >= 0 && t.p <= 1)) throw std::invalid_argument(field + ".p must be in [0, 1]");
    } else if (t.type == "randomCrop") {
      if (t.padding < 0) throw std::invalid_argument(field + ".padding must be >= 0");
    } else if (!sized && t.type != "grayscaleToRgb") {
      throw std::invalid_argument(field + ": unknown transform '" + t.type +
                                  "'; valid: randomCrop, randomResizedCrop, resize, centerCrop, hflip, grayscaleToRgb, normalize");
    }
  }
}

bool TransformPipeline::randomized() const {
  for (const auto& t : specs_) {
    if (t.type == "randomCrop" || t.type == "randomResizedCrop" || t.type == "hflip") return true;
  }
  return false;
}

std::vector<int64_t> TransformPipeline::outputShape(const std::vector<int64_t>& in) const {
  int64_t c = in[0], h = in[1], w = in[2];
  for (const auto& t : specs_) {
    if (t.type == "grayscaleToRgb") c = 3;
    else if (t.type == "randomCrop" || t.type == "randomResizedCrop" || t.type == "centerCrop") std::tie(h, w) = sizeOf(t);
    else if (t.type == "resize") {
      if (t.size.size() == 2) std::tie(h, w) = sizeOf(t);
      else if (h > 0 && w > 0) std::tie(h, w) = resizedSize(t, h, w);
    } else if (t.type == "normalize" && static_cast<int64_t>(t.mean.size()) != c) {
      throw std::invalid_argument("normalize has " + std::to_string(t.mean.size()) + " means for " + std::to_string(c) + " channels");
    }
  }
  return {c, h, w};
}

torch::Tensor TransformPipeline::apply(const torch::Tensor& input, SampleRandom& random) const {
  torch::Tensor x = input;
  for (const auto& t : specs_) {
    if (t.type == "grayscaleToRgb") {
      if (x.size(0) == 1) x = x.expand({3, x.size(1), x.size(2)});
    } else if (t.type == "randomCrop") {
      const auto [th, tw] = sizeOf(t);
      const int64_t h = x.size(1) + 2 * t.padding, w = x.size(2) + 2 * t.padding;
      const int64_t top = random.integer(0, h - th + 1), left = random.integer(0, w - tw + 1);
      x = cropImage(x, top - t.padding, left - t.padding, th, tw);
    } else if (t.type == "randomResizedCrop") {
      const auto p = resizedCropParams(t, x.size(1), x.size(2), random);
      const auto [th, tw] = sizeOf(t);
      x = resizeImage(cropImage(x, p[0], p[1], p[2], p[3]), th, tw);
    } else if (t.type == "resize") {
      const auto [h, w] = resizedSize(t, x.size(1), x.size(2));
      x = resizeImage(x, h, w);
    } else if (t.type == "centerCrop") {
      const auto [h, w] = sizeOf(t);
      x = centerCropImage(x, h, w);
    } else if (t.type == "hflip") {
      if (random.uniform(0, 1) < t.p) x = x.flip({2});
    }
  }
  auto out = toUnitFloat(x);
  if (!specs_.empty() && specs_.back().type == "normalize") normalizeInPlace(out, specs_.back().mean, specs_.back().std);
  return out.contiguous();
}

}  // namespace senet
