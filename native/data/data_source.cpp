#include "data/data_source.h"

#include <stdexcept>

#include "data/image_codec.h"

namespace senet {

torch::Tensor DataSource::samplesAt(const torch::Tensor& indices, uint64_t seed, int64_t epoch) const {
  std::vector<torch::Tensor> samples;
  samples.reserve(static_cast<size_t>(indices.size(0)));
  auto idx = indices.accessor<int64_t, 1>();
  for (int64_t i = 0; i < indices.size(0); ++i) samples.push_back(sampleAt(idx[i], seed, epoch));
  return torch::stack(samples);
}

torch::Tensor DataSource::labelsAt(const torch::Tensor& indices) const {
  auto out = torch::empty({indices.size(0)}, torch::kInt64);
  auto idx = indices.accessor<int64_t, 1>();
  for (int64_t i = 0; i < indices.size(0); ++i) out[i] = labelAt(idx[i]);
  return out;
}

std::vector<int64_t> countClasses(const torch::Tensor& labels, int64_t numClasses, const std::string& where) {
  if (labels.numel() > 0) {
    const int64_t low = labels.min().item<int64_t>(), high = labels.max().item<int64_t>();
    if (low < 0 || high >= numClasses) {
      throw std::invalid_argument(where + ": label " + std::to_string(low < 0 ? low : high) + " is outside [0, " +
                                  std::to_string(numClasses - 1) + "]");
    }
  }
  auto counts = torch::bincount(labels, {}, numClasses);
  return std::vector<int64_t>(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + numClasses);
}

std::shared_ptr<TensorSource> inMemorySource(torch::Tensor images, torch::Tensor labels, std::vector<double> mean,
                                             std::vector<double> std) {
  if (images.dim() != 4) throw std::invalid_argument("images must be N x C x H x W");
  if (labels.dim() != 1 || labels.size(0) != images.size(0)) throw std::invalid_argument("labels must have one label per image");
  if (images.size(0) == 0) throw std::invalid_argument("the dataset is empty");
  std::vector<TransformSpec> specs;
  if (!mean.empty()) {
    TransformSpec normalize;
    normalize.type = "normalize";
    normalize.mean = std::move(mean);
    normalize.std = std::move(std);
    specs.push_back(normalize);
  }
  DatasetInfo info;
  info.type = "memory";
  const int64_t classes = std::max<int64_t>(labels.max().item<int64_t>() + 1, 1);
  for (int64_t c = 0; c < classes; ++c) info.classNames.push_back(std::to_string(c));
  if (labels.min().item<int64_t>() < 0) throw std::invalid_argument("labels must be >= 0");
  info.classCounts = countClasses(labels, classes, "labels");
  return std::make_shared<TensorSource>(std::move(images), std::move(labels), TransformPipeline(std::move(specs)), info);
}

void validateSource(const DataSource& source, int64_t inChannels, int64_t numClasses, const std::string& field) {
  const auto& info = source.info();
  if (info.sampleShape.empty() || info.sampleShape[0] != inChannels) {
    throw std::invalid_argument(field + " gives " + std::to_string(info.sampleShape.empty() ? 0 : info.sampleShape[0]) +
                                "-channel samples but the model expects " + std::to_string(inChannels) +
                                " (inChannels; a grayscaleToRgb transform or channels option can convert)");
  }
  int64_t highest = -1;
  for (size_t c = 0; c < info.classCounts.size(); ++c) {
    if (info.classCounts[c] > 0) highest = static_cast<int64_t>(c);
  }
  if (highest >= numClasses) {
    throw std::invalid_argument(field + " has label " + std::to_string(highest) + ", outside [0, " +
                                std::to_string(numClasses - 1) + "] for numClasses " + std::to_string(numClasses));
  }
}

TensorSource::TensorSource(torch::Tensor images, torch::Tensor labels, TransformPipeline transforms, DatasetInfo info)
    : images_(std::move(images)), labels_(std::move(labels)) {
  transforms_ = std::move(transforms);
  info_ = std::move(info);
  info_.size = labels_.size(0);
  info_.imageShape = {images_.size(1), images_.size(2), images_.size(3)};
  info_.sampleShape = transforms_.outputShape(info_.imageShape);
}

torch::Tensor TensorSource::sampleAt(int64_t index, uint64_t seed, int64_t epoch) const {
  SampleRandom random(seed, epoch, index);
  return transforms_.apply(images_[index], random);
}

torch::Tensor TensorSource::samplesAt(const torch::Tensor& indices, uint64_t seed, int64_t epoch) const {
  // Only normalization (or nothing): one vectorized pass over the batch.
  const auto& specs = transforms_.specs();
  if (specs.empty() || (specs.size() == 1 && specs[0].type == "normalize")) {
    torch::Tensor x = toUnitFloat(images_.index_select(0, indices));
    if (!specs.empty()) normalizeInPlace(x, specs[0].mean, specs[0].std);
    return x;
  }
  return DataSource::samplesAt(indices, seed, epoch);
}

FileSource::FileSource(std::vector<std::string> paths, std::vector<int64_t> labels, int64_t channels,
                       bool skipBadSamples, TransformPipeline transforms, DatasetInfo info)
    : labels_(std::move(labels)), channels_(channels) {
  transforms_ = std::move(transforms);
  info_ = std::move(info);
  // The scan: every header is read now, so a corrupt or unreadable file is
  // reported before training starts (or dropped with onBadSample: 'skip').
  std::vector<int64_t> keptLabels;
  int64_t height = -1, width = -1;
  for (size_t i = 0; i < paths.size(); ++i) {
    try {
      const ImageInfo image = probeImage(paths[i]);
      if (height == -1) height = image.height, width = image.width;
      else if (height != image.height || width != image.width) height = width = 0;
      paths_.push_back(paths[i]);
      keptLabels.push_back(labels_[i]);
    } catch (const ImageError& e) {
      if (!skipBadSamples) throw std::invalid_argument(std::string(e.what()) + " (pass onBadSample: 'skip' to drop such files)");
      ++info_.skipped;
      if (info_.skippedExamples.size() < 10) info_.skippedExamples.push_back(e.what());
    }
  }
  labels_ = std::move(keptLabels);
  if (paths_.empty()) throw std::invalid_argument(info_.location + ": no readable images");
  info_.size = static_cast<int64_t>(paths_.size());
  info_.imageShape = {channels_, std::max<int64_t>(height, 0), std::max<int64_t>(width, 0)};
  info_.sampleShape = transforms_.outputShape(info_.imageShape);
  if (info_.sampleShape[1] == 0) {
    throw std::invalid_argument(info_.location + ": images differ in size; add a resize, centerCrop or randomResizedCrop transform so batches have one shape");
  }
  info_.classCounts = countClasses(torch::tensor(labels_, torch::kInt64), static_cast<int64_t>(info_.classNames.size()), info_.location);
}

torch::Tensor FileSource::sampleAt(int64_t index, uint64_t seed, int64_t epoch) const {
  Image image = decodeImage(paths_[index], static_cast<int>(channels_));
  auto tensor = torch::from_blob(image.pixels.data(), {image.height, image.width, image.channels}, torch::kUInt8)
                    .permute({2, 0, 1});
  SampleRandom random(seed, epoch, index);
  return transforms_.apply(tensor, random);  // always a new float tensor: `image` may go
}

}  // namespace senet
