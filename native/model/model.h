// A model instance as the binding sees it: a ResNet on a device, with
// thread-safe predict/save/load. Structure is fixed at construction, so
// parameter counts and key lists are computed once and read lock-free.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "model/inference_form.h"
#include "model/model_options.h"
#include "model/resnet.h"
#include "runtime/device_settings.h"
#include "io/safetensors.h"

namespace senet {

// Speed settings for inference (predict/evaluate): amp "" | "bf16" | "fp16"
// runs the forward under autocast (bf16 on CPU and CUDA, fp16 on CUDA only;
// logits come back as float32); channelsLast converts the input batch to
// channels_last. exact: predict runs the module's own forward (bit-identical
// to eager PyTorch) instead of the prepared inference form (CPU, float32
// or amp 'bf16'; equal to float32 rounding in float32, see inference_form.h). evaluate() always runs
// the module's forward, so its accuracy is eager PyTorch's.
struct InferenceSettings {
  AmpName amp;
  bool channelsLast = false;
  bool exact = false;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InferenceSettings, amp, channelsLast, exact)

class Model {
 public:
  explicit Model(const ModelOptions& options);  // validates the options
  // Rebuilds a model from a safetensors file's __metadata__ and loads it.
  static std::unique_ptr<Model> fromFile(const std::string& path, const std::string& device);

  // Logits for an N x C x H x W float32 CPU tensor, in eval mode, no grad.
  torch::Tensor predict(const torch::Tensor& input, const InferenceSettings& settings = {});
  // Validates `settings` for this model's device; returns the autocast dtype (none for amp "").
  std::optional<at::ScalarType> checkInferenceSettings(const InferenceSettings& settings) const;
  void save(const std::string& path);
  void load(const std::string& path);

  // Throws for an input that is not N x C x H x W with this model's channels, with an actionable message.
  void checkInput(const torch::Tensor& input) const;
  std::vector<StageSummary> summary(int64_t height, int64_t width) const { return net_->summary(height, width); }
  int64_t parameterCount() const { return parameterCount_; }
  const std::vector<std::string>& stateDictKeys() const { return keys_; }
  const ModelOptions& options() const { return options_; }
  torch::Device device() const { return device_; }
  ResNet& net() { return net_; }
  // For callers that change weights or train/eval mode (the trainer). Counts
  // as a weight change for the inference form: such callers may write weights
  // without bumping their version counters (the fused SGD step, c10d broadcasts).
  std::unique_lock<std::shared_mutex> lockExclusive() {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    ++weightsGeneration_;
    return lock;
  }
  // Exclusive (eval mode is set for the duration) but leaving the weights as they are: evaluate().
  std::unique_lock<std::shared_mutex> lockForEvaluation() { return std::unique_lock<std::shared_mutex>(mutex_); }
  std::shared_lock<std::shared_mutex> lockShared() { return std::shared_lock<std::shared_mutex>(mutex_); }

 private:
  // The generation of lockExclusive() holds, then (storage, version counter)
  // of every parameter and buffer: changes with any in-place update through
  // ATen (load, BN statistics), replaced storage, or an exclusive hold.
  using WeightVersion = std::vector<std::pair<const void*, int64_t>>;
  WeightVersion weightVersion() const;
  // The inference form in `dtype` for the current weights, rebuilt when they changed.
  InferenceForm& inferenceForm(at::ScalarType dtype);

  ModelOptions options_;
  torch::Device device_;
  ResNet net_{nullptr};
  int64_t parameterCount_ = 0;
  std::vector<std::string> keys_;
  std::shared_mutex mutex_;  // shared: save; exclusive: predict, load
  // Guarded by mutex_ (exclusive): float32 and (after a bf16 predict) bfloat16 forms.
  std::map<at::ScalarType, std::unique_ptr<InferenceForm>> forms_;
  WeightVersion formVersion_;
  uint64_t weightsGeneration_ = 0;  // guarded by mutex_ (exclusive)
};

}  // namespace senet
