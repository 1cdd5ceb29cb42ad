// Opening datasets from disk: IDX (MNIST family, gzip or raw), CIFAR-10/100
// binary, ImageFolder (JPEG/PNG), Tiny ImageNet. Every file is checked
// (magic numbers, sizes, label ranges) and errors name the file and offset.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data/data_source.h"

namespace senet {

struct DataSpec {
  std::string type;      // idx | cifar10 | cifar100 | imagefolder | tiny-imagenet | synthetic
  std::string path;      // directory (idx, cifar, tiny-imagenet) or root (imagefolder)
  std::string split = "train";        // train | test (idx, cifar); train | val (tiny-imagenet)
  std::string labels = "fine";  // cifar100: fine | coarse
  int64_t channels = 3;  // decoded channels for image files
  std::string onBadSample = "error";  // image files: error | skip (drop unreadable files at the scan)
  // synthetic: size samples of channels x height x width in `classes` classes, from `seed`.
  int64_t size = 0, classes = 10, height = 32, width = 32;
  uint64_t seed = 0;
  std::vector<TransformSpec> transforms;
};

// The binding reads a spec (lib/data.ts resolveDatasetSpec) through this field list, as it reads options.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DataSpec, type, path, split, labels, channels, onBadSample, size, classes,
                                                height, width, seed, transforms)

std::shared_ptr<DataSource> openDataSource(const DataSpec& spec);

}  // namespace senet
