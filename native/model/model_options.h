// Options that fully describe a model's structure, plus init-time choices:
// the native half of lib/options/model.ts. Plain data: the binding copies the
// validated JS options into this struct through its JSON field list, so a new
// option is a member here, its name in the list, and the code that uses it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/json_fields.h"

namespace senet {

struct ModelOptions {
  std::string arch = "resnet18";     // resnet18|34|50|101|152
  std::string stem = "imagenet";     // imagenet (7x7/2 + maxpool) | cifar (3x3/1)
  std::string attention = "none";    // canonical name, see attentionNames()
  int64_t inChannels = 3;
  int64_t numClasses = 1000;
  int64_t reduction = 16;            // SE-style MLP hidden width max(1, C / r)
  bool zeroInitResidual = false;
  std::optional<uint64_t> seed;      // unset: libtorch's global generator as it stands
  std::string device = "cpu";        // cpu | cuda | cuda:N | auto
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ModelOptions, arch, stem, attention, inChannels, numClasses, reduction,
                                                zeroInitResidual, seed, device)

const std::vector<std::string>& archNames();
const std::vector<std::string>& stemNames();
// Canonical attention names (aliases such as "senet" or "model3" are accepted
// by canonicalAttention but never stored).
const std::vector<std::string>& attentionNames();

// Maps an alias (original, senet, model0..model4) to its canonical name;
// throws std::invalid_argument listing the valid names for an unknown one.
std::string canonicalAttention(const std::string& name);

// Returns a copy with canonical names; throws std::invalid_argument naming the
// offending field and its valid values.
ModelOptions validated(ModelOptions options);

// The structural options as safetensors __metadata__ (string -> string), so a
// weights file can rebuild its own model.
std::map<std::string, std::string> toMetadata(const ModelOptions& options);
// Inverse of toMetadata; throws std::invalid_argument when the metadata does
// not describe a senet-lab model.
ModelOptions fromMetadata(const std::map<std::string, std::string>& metadata,
                          const std::string& source);

std::string joinNames(const std::vector<std::string>& names);

}  // namespace senet
