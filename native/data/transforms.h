// Per-sample image transforms with torchvision's semantics, applied to one
// uint8 C x H x W image. Geometry stays in uint8 (resize interpolates in float
// and rounds back, as torchvision does for uint8 tensors); the last step
// scales to [0, 1] floats and normalizes. Random choices come from a
// generator seeded by (seed, epoch, sample index) only, so results never
// depend on the number of loader workers.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace senet {

struct TransformSpec {
  std::string type;  // randomCrop | randomResizedCrop | resize | centerCrop | hflip | normalize | grayscaleToRgb
  std::vector<int64_t> size;       // [h, w] (resize: [s] = shorter side)
  int64_t padding = 0;             // randomCrop
  double p = 0.5;                  // hflip
  std::vector<double> scale{0.08, 1.0};          // randomResizedCrop
  std::vector<double> ratio{3.0 / 4.0, 4.0 / 3.0};
  std::vector<double> mean, std;   // normalize
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TransformSpec, type, size, padding, p, scale, ratio, mean, std)

// splitmix64 stream for one sample (index -1: for the epoch as a whole).
class SampleRandom {
 public:
  SampleRandom(uint64_t seed, int64_t epoch, int64_t index);
  double uniform(double low, double high);  // [low, high)
  int64_t integer(int64_t low, int64_t high);  // [low, high)
  uint64_t bits() { return next(); }

 private:
  uint64_t next();
  uint64_t state_;
};

class TransformPipeline {
 public:
  TransformPipeline() = default;
  explicit TransformPipeline(std::vector<TransformSpec> specs);  // validates; throws std::invalid_argument
  // uint8 C x H x W in, float C' x H' x W' out.
  torch::Tensor apply(const torch::Tensor& image, SampleRandom& random) const;
  // Output [C, H, W] for an input of the given shape; H/W 0 when input size is variable and nothing fixes it.
  std::vector<int64_t> outputShape(const std::vector<int64_t>& inputShape) const;
  bool randomized() const;
  const std::vector<TransformSpec>& specs() const { return specs_; }

 private:
  std::vector<TransformSpec> specs_;
};

// uint8 images scale to [0, 1] floats (ToTensor); float images are used as given.
torch::Tensor toUnitFloat(const torch::Tensor& image);
// (x - mean) / std over the channel dimension of a C x H x W or N x C x H x W float tensor.
void normalizeInPlace(torch::Tensor& x, const std::vector<double>& mean, const std::vector<double>& std);

// torchvision.transforms.functional equivalents on uint8 C x H x W tensors (exposed for tests).
torch::Tensor resizeImage(const torch::Tensor& image, int64_t height, int64_t width);
torch::Tensor cropImage(const torch::Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width);
torch::Tensor centerCropImage(const torch::Tensor& image, int64_t height, int64_t width);

}  // namespace senet
