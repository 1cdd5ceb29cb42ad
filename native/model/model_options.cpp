#include "model/model_options.h"

#include <algorithm>
#include <stdexcept>

namespace senet {

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Aliases from the seed paper's naming: Original, SENet (Model 0), Model 1..4.
const std::map<std::string, std::string>& attentionAliases() {
  static const std::map<std::string, std::string> aliases = {
      {"original", "none"},      {"senet", "se"},          {"model0", "se"},
      {"model1", "avgmax-mul"},  {"model2", "avgmax-add"}, {"model3", "dual-mul"},
      {"model4", "dual-add"}};
  return aliases;
}

int64_t parsePositiveInt(const std::map<std::string, std::string>& metadata,
                         const std::string& key, const std::string& source) {
  auto it = metadata.find(key);
  if (it == metadata.end()) {
    throw std::invalid_argument(source + ": metadata lacks '" + key + "'");
  }
  try {
    size_t used = 0;
    long long value = std::stoll(it->second, &used);
    if (used != it->second.size() || value < 1) throw std::invalid_argument("range");
    return value;
  } catch (const std::exception&) {
    throw std::invalid_argument(source + ": metadata '" + key + "' must be a positive integer, got '" +
                                it->second + "'");
  }
}

}  // namespace

const std::vector<std::string>& archNames() {
  static const std::vector<std::string> names = {"resnet18", "resnet34", "resnet50", "resnet101",
                                                 "resnet152"};
  return names;
}

const std::vector<std::string>& stemNames() {
  static const std::vector<std::string> names = {"imagenet", "cifar"};
  return names;
}

const std::vector<std::string>& attentionNames() {
  static const std::vector<std::string> names = {"none",     "se",       "avgmax-mul", "avgmax-add",
                                                 "dual-mul", "dual-add", "cbam",       "eca"};
  return names;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string canonicalAttention(const std::string& name) {
  if (contains(attentionNames(), name)) return name;
  auto alias = attentionAliases().find(name);
  if (alias != attentionAliases().end()) return alias->second;
  throw std::invalid_argument("unknown attention '" + name + "'; valid: " + joinNames(attentionNames()) +
                              " (aliases: original, senet, model0..model4)");
}

ModelOptions validated(ModelOptions options) {
  if (!contains(archNames(), options.arch)) {
    throw std::invalid_argument("unknown arch '" + options.arch + "'; valid: " + joinNames(archNames()));
  }
  if (!contains(stemNames(), options.stem)) {
    throw std::invalid_argument("unknown stem '" + options.stem + "'; valid: " + joinNames(stemNames()));
  }
  options.attention = canonicalAttention(options.attention);
  if (options.inChannels < 1) throw std::invalid_argument("inChannels must be >= 1");
  if (options.numClasses < 1) throw std::invalid_argument("numClasses must be >= 1");
  if (options.reduction < 1) throw std::invalid_argument("reduction must be >= 1");
  return options;
}

std::map<std::string, std::string> toMetadata(const ModelOptions& options) {
  return {{"format", "pt"},
          {"senet_lab.format", "1"},
          {"arch", options.arch},
          {"stem", options.stem},
          {"attention", options.attention},
          {"in_channels", std::to_string(options.inChannels)},
          {"num_classes", std::to_string(options.numClasses)},
          {"reduction", std::to_string(options.reduction)}};
}

ModelOptions fromMetadata(const std::map<std::string, std::string>& metadata, const std::string& source) {
  for (const char* key : {"arch", "stem", "attention"}) {
    if (metadata.find(key) == metadata.end()) {
      throw std::invalid_argument(source +
                                  ": the file's __metadata__ does not describe a senet-lab model (missing '" +
                                  key + "'); create the model with createModel(options) and call load()");
    }
  }
  ModelOptions options;
  options.arch = metadata.at("arch");
  options.stem = metadata.at("stem");
  options.attention = metadata.at("attention");
  options.inChannels = parsePositiveInt(metadata, "in_channels", source);
  options.numClasses = parsePositiveInt(metadata, "num_classes", source);
  options.reduction = parsePositiveInt(metadata, "reduction", source);
  try {
    return validated(options);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": metadata: " + e.what());
  }
}

}  // namespace senet
