#include "data/data_formats.h"

#include <ATen/CPUGeneratorImpl.h>
#ifndef SENET_NO_ZLIB
#include <zlib.h>
#endif

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "data/image_codec.h"
#include "data/record_formats.h"

namespace senet {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad(const std::string& file, const std::string& what) { throw std::invalid_argument(file + ": " + what); }

// Whole file, gunzipped when it starts with the gzip magic.
std::vector<uint8_t> readMaybeGzip(const std::string& path) {
  std::vector<uint8_t> raw = readFileBytes(path);
  if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
#ifdef SENET_NO_ZLIB
  bad(path, "gzip-compressed, but this build of senet-lab has no zlib; gunzip the file first");
#else
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) bad(path, "cannot open gzip stream");
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  int n;
  while ((n = gzread(gz, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  int error = 0;
  const char* message = gzerror(gz, &error);
  const std::string text = message ? message : "";
  gzclose(gz);
  if (n < 0 || (error != Z_OK && error != Z_STREAM_END)) bad(path, "corrupt gzip data (" + text + ")");
  return out;
#endif
}

std::string findFile(const std::string& dir, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  }
  bad(dir, "none of " + [&] { std::string s; for (auto& n : names) s += (s.empty() ? "" : ", ") + n; return s; }() + " found");
}

// IDX: magic 0x00000803 (uint8 images, 3 dims) / 0x00000801 (uint8 labels).
torch::Tensor readIdx(const std::string& path, uint32_t expectedDims) {
  std::vector<uint8_t> b = readMaybeGzip(path);
  const IdxLayout layout = parseIdx(b, expectedDims, path);
  return torch::from_blob(b.data() + layout.dataOffset, layout.shape, torch::kUInt8).clone();
}

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::shared_ptr<DataSource> openIdx(const DataSpec& spec) {
  const std::string prefix = spec.split == "test" ? "t10k" : "train";
  const std::string imagesPath = findFile(spec.path, {prefix + "-images-idx3-ubyte.gz", prefix + "-images-idx3-ubyte", prefix + "-images.idx3-ubyte"});
  const std::string labelsPath = findFile(spec.path, {prefix + "-labels-idx1-ubyte.gz", prefix + "-labels-idx1-ubyte", prefix + "-labels.idx1-ubyte"});
  torch::Tensor images = readIdx(imagesPath, 3);
  torch::Tensor labels = readIdx(labelsPath, 1).to(torch::kInt64);
  if (images.size(0) != labels.size(0)) {
    bad(labelsPath, std::to_string(labels.size(0)) + " labels for " + std::to_string(images.size(0)) + " images in " + imagesPath);
  }
  DatasetInfo info;
  info.type = "idx";
  info.location = spec.path;
  const int64_t classes = std::max<int64_t>(10, labels.numel() ? labels.max().item<int64_t>() + 1 : 10);
  const bool fashion = spec.path.find("fashion") != std::string::npos;
  static const std::vector<std::string> fashionNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  for (int64_t c = 0; c < classes; ++c) info.classNames.push_back(fashion && classes == 10 ? fashionNames[c] : std::to_string(c));
  info.classCounts = countClasses(labels, classes, labelsPath);
  return std::make_shared<TensorSource>(images.unsqueeze(1), labels, TransformPipeline(spec.transforms), info);
}

std::shared_ptr<DataSource> openCifar(const DataSpec& spec) {
  const bool hundred = spec.type == "cifar100";
  const int64_t labelBytes = hundred ? 2 : 1, record = labelBytes + 3072;
  std::vector<std::string> files;
  if (hundred) files = {spec.split == "test" ? "test.bin" : "train.bin"};
  else if (spec.split == "test") files = {"test_batch.bin"};
  else files = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"};
  const int64_t classes = hundred ? (spec.labels == "coarse" ? 20 : 100) : 10;
  const int64_t labelOffset = hundred && spec.labels == "fine" ? 1 : 0;
  std::vector<torch::Tensor> images, labels;
  for (const auto& name : files) {
    const std::string path = (fs::path(spec.path) / name).string();
    if (!fs::exists(path)) bad(path, "missing (expected the CIFAR binary version layout)");
    std::vector<uint8_t> b = readFileBytes(path);
    const CifarLayout layout = parseCifar(b, labelBytes, labelOffset, classes, path);
    const int64_t n = layout.records;
    auto all = torch::from_blob(b.data(), {n, record}, torch::kUInt8);
    auto l = torch::tensor(layout.labels, torch::kInt64);
    images.push_back(all.narrow(1, labelBytes, 3072).reshape({n, 3, 32, 32}).clone());
    labels.push_back(l);
  }
  DatasetInfo info;
  info.type = spec.type;
  info.location = spec.path;
  const std::string namesFile = hundred ? (spec.labels == "coarse" ? "coarse_label_names.txt" : "fine_label_names.txt") : "batches.meta.txt";
  info.classNames = readLines((fs::path(spec.path) / namesFile).string());
  if (static_cast<int64_t>(info.classNames.size()) != classes) {
    info.classNames.clear();
    for (int64_t c = 0; c < classes; ++c) info.classNames.push_back(std::to_string(c));
  }
  auto allLabels = torch::cat(labels);
  info.classCounts = countClasses(allLabels, classes, spec.path);
  return std::make_shared<TensorSource>(torch::cat(images), allLabels, TransformPipeline(spec.transforms), info);
}

bool isImageFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// torchvision's make_dataset order: sorted(os.walk(class_dir)), then sorted file names.
std::vector<std::string> imagesUnder(const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> found;  // (directory, file name)
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file() && isImageFile(it->path())) {
      found.emplace_back(it->path().parent_path().string(), it->path().filename().string());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& [d, f] : found) out.push_back((fs::path(d) / f).string());
  return out;
}

std::vector<std::string> sortedSubdirectories(const fs::path& root) {
  if (!fs::is_directory(root)) bad(root.string(), "is not a directory");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::shared_ptr<DataSource> openImageFolder(const DataSpec& spec) {
  DatasetInfo info;
  info.type = "imagefolder";
  info.location = spec.path;
  info.classNames = sortedSubdirectories(spec.path);
  if (info.classNames.empty()) bad(spec.path, "has no class subdirectories (expected root/<class>/*.jpg|png)");
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
  for (size_t c = 0; c < info.classNames.size(); ++c) {
    const auto files = imagesUnder(fs::path(spec.path) / info.classNames[c]);
    if (files.empty()) bad((fs::path(spec.path) / info.classNames[c]).string(), "class directory has no .jpg/.jpeg/.png files");
    paths.insert(paths.end(), files.begin(), files.end());
    labels.insert(labels.end(), files.size(), static_cast<int64_t>(c));
  }
  return std::make_shared<FileSource>(paths, labels, spec.channels, spec.onBadSample == "skip", TransformPipeline(spec.transforms), info);
}

// train/<wnid>/images/*.JPEG, val/images + val/val_annotations.txt, wnids.txt.
std::shared_ptr<DataSource> openTinyImageNet(const DataSpec& spec) {
  const fs::path root(spec.path);
  const std::string wnidsFile = (root / "wnids.txt").string();
  if (!fs::exists(wnidsFile)) bad(wnidsFile, "missing (expected the Tiny ImageNet layout)");
  std::vector<std::string> wnids = readLines(wnidsFile);
  std::sort(wnids.begin(), wnids.end());  // ImageFolder order on train/, so both splits agree
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < wnids.size(); ++i) index[wnids[i]] = static_cast<int64_t>(i);
  DatasetInfo info;
  info.type = "tiny-imagenet";
  info.location = spec.path;
  info.classNames = wnids;
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
  if (spec.split == "val") {
    const std::string annotations = (root / "val" / "val_annotations.txt").string();
    if (!fs::exists(annotations)) bad(annotations, "missing");
    int64_t lineNumber = 0;
    for (const auto& line : readLines(annotations)) {
      ++lineNumber;
      std::istringstream fields(line);
      std::string file, wnid;
      fields >> file >> wnid;
      auto found = index.find(wnid);
      if (file.empty() || found == index.end()) bad(annotations, "line " + std::to_string(lineNumber) + " names unknown class '" + wnid + "'");
      paths.push_back((root / "val" / "images" / file).string());
      labels.push_back(found->second);
    }
  } else {
    for (size_t c = 0; c < wnids.size(); ++c) {
      const auto files = imagesUnder(root / "train" / wnids[c] / "images");
      if (files.empty()) bad((root / "train" / wnids[c]).string(), "class directory has no images");
      paths.insert(paths.end(), files.begin(), files.end());
      labels.insert(labels.end(), files.size(), static_cast<int64_t>(c));
    }
  }
  return std::make_shared<FileSource>(paths, labels, spec.channels, spec.onBadSample == "skip", TransformPipeline(spec.transforms), info);
}

// Class-dependent patterns a model can learn (a per-class frequency and
// phase per channel) plus noise; deterministic in the seed.
std::shared_ptr<DataSource> openSynthetic(const DataSpec& spec) {
  if (spec.size < 1 || spec.classes < 1 || spec.height < 1 || spec.width < 1 || spec.channels < 1) {
    throw std::invalid_argument("synthetic: size, classes, channels, height and width must be >= 1");
  }
  auto generator = at::detail::createCPUGenerator(spec.seed);
  auto labels = torch::arange(spec.size, torch::kInt64).remainder(spec.classes);
  auto y = torch::linspace(0, 1, spec.height).view({1, 1, spec.height, 1});
  auto x = torch::linspace(0, 1, spec.width).view({1, 1, 1, spec.width});
  auto c = torch::arange(spec.channels, torch::kFloat32).view({1, spec.channels, 1, 1});
  auto k = (labels.to(torch::kFloat32) + 1).view({spec.size, 1, 1, 1});
  auto pattern = torch::sin(3.14159265f * (k * (x + 2 * y) + c * 0.5f)) * 0.35f + 0.5f;
  auto noise = torch::randn({spec.size, spec.channels, spec.height, spec.width}, generator) * 0.1f;
  auto images = (pattern + noise).clamp(0, 1).mul(255).round().to(torch::kUInt8);
  DatasetInfo info;
  info.type = "synthetic";
  info.location = "synthetic(seed " + std::to_string(spec.seed) + ")";
  for (int64_t i = 0; i < spec.classes; ++i) info.classNames.push_back("class" + std::to_string(i));
  info.classCounts = countClasses(labels, spec.classes, info.location);
  return std::make_shared<TensorSource>(images, labels, TransformPipeline(spec.transforms), info);
}

}  // namespace

std::shared_ptr<DataSource> openDataSource(const DataSpec& spec) {
  if (spec.type == "idx") return openIdx(spec);
  if (spec.type == "cifar10" || spec.type == "cifar100") return openCifar(spec);
  if (spec.type == "imagefolder") return openImageFolder(spec);
  if (spec.type == "tiny-imagenet") return openTinyImageNet(spec);
  if (spec.type == "synthetic") return openSynthetic(spec);
  throw std::invalid_argument("unknown dataset type '" + spec.type + "'; valid: idx, cifar10, cifar100, imagefolder, tiny-imagenet, synthetic");
}

}  // namespace senet
