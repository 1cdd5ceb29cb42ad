// Labelled image collections behind one interface: in-memory tensors (IDX,
// CIFAR, arrays from JS) and files decoded on demand (ImageFolder, Tiny
// ImageNet). A source returns one transformed float C x H x W sample.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

#include <memory>
#include <string>
#include <vector>

#include "data/transforms.h"

namespace senet {

struct DatasetInfo {
  std::string type;
  std::string location;
  int64_t size = 0;
  std::vector<std::string> classNames;
  std::vector<int64_t> classCounts;
  std::vector<int64_t> imageShape;   // stored C, H, W (H = W = 0 when sizes vary)
  std::vector<int64_t> sampleShape;  // after transforms
  int64_t skipped = 0;               // bad samples dropped by the scan (onBadSample: 'skip')
  std::vector<std::string> skippedExamples;
};
// The wire form: lib/native.ts DatasetInfo.
SENET_WIRE_FIELDS(DatasetInfo, type, location, size, classNames, classCounts, imageShape, sampleShape,
                                   skipped, skippedExamples)

class DataSource {
 public:
  virtual ~DataSource() = default;
  virtual int64_t size() const = 0;
  virtual int64_t labelAt(int64_t index) const = 0;
  // Transformed sample; `seed`/`epoch` drive random transforms.
  virtual torch::Tensor sampleAt(int64_t index, uint64_t seed, int64_t epoch) const = 0;
  // Stacked samples; sources may override with a vectorized path.
  virtual torch::Tensor samplesAt(const torch::Tensor& indices, uint64_t seed, int64_t epoch) const;
  virtual torch::Tensor labelsAt(const torch::Tensor& indices) const;
  virtual int64_t numClasses() const { return static_cast<int64_t>(info().classNames.size()); }
  const DatasetInfo& info() const { return info_; }
  const TransformPipeline& transforms() const { return transforms_; }

 protected:
  DatasetInfo info_;
  TransformPipeline transforms_;
};

// Images held as one uint8 or float N x C x H x W tensor with int64 labels.
class TensorSource : public DataSource {
 public:
  TensorSource(torch::Tensor images, torch::Tensor labels, TransformPipeline transforms, DatasetInfo info);
  int64_t size() const override { return labels_.size(0); }
  int64_t labelAt(int64_t index) const override { return labels_[index].item<int64_t>(); }
  torch::Tensor sampleAt(int64_t index, uint64_t seed, int64_t epoch) const override;
  torch::Tensor samplesAt(const torch::Tensor& indices, uint64_t seed, int64_t epoch) const override;
  torch::Tensor labelsAt(const torch::Tensor& indices) const override { return labels_.index_select(0, indices); }
  const torch::Tensor& labels() const { return labels_; }

 private:
  torch::Tensor images_, labels_;
};

// Image files decoded per sample (libjpeg-turbo / libpng).
class FileSource : public DataSource {
 public:
  FileSource(std::vector<std::string> paths, std::vector<int64_t> labels, int64_t channels, bool skipBadSamples,
             TransformPipeline transforms, DatasetInfo info);
  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  int64_t labelAt(int64_t index) const override { return labels_[index]; }
  torch::Tensor sampleAt(int64_t index, uint64_t seed, int64_t epoch) const override;

 private:
  std::vector<std::string> paths_;
  std::vector<int64_t> labels_;
  int64_t channels_;
};

// An in-memory dataset handed over from JS: uint8 (scaled by 1/255) or float
// images, optional per-channel normalization.
std::shared_ptr<TensorSource> inMemorySource(torch::Tensor images, torch::Tensor labels, std::vector<double> mean,
                                             std::vector<double> std);

// Checks a source against a model: channels after transforms and label range.
// Throws std::invalid_argument naming `field`.
void validateSource(const DataSource& source, int64_t inChannels, int64_t numClasses, const std::string& field);

// Counts labels per class and checks their range; throws std::invalid_argument naming `where`.
std::vector<int64_t> countClasses(const torch::Tensor& labels, int64_t numClasses, const std::string& where);

}  // namespace senet
