#include "model/model.h"

#include <atomic>
#include <mutex>

#include "runtime/device_settings.h"
#include "runtime/runtime.h"
#include "io/safetensors.h"
#include "model/state_dict.h"

namespace senet {

namespace {

std::atomic<bool>& bf16FormFailed() {
  static std::atomic<bool> failed{false};
  return failed;
}

bool bf16FormWorks() { return !bf16FormFailed().load(); }
void markBf16FormUnsupported() { bf16FormFailed().store(true); }

// Seeded construction uses the global generator, exactly as torch.manual_seed
// followed by torchvision's constructor does; serialize it so two threads
// building seeded models cannot interleave their draws.
std::mutex& initMutex() {
  static std::mutex m;
  return m;
}

ResNet buildNet(const ModelOptions& options) {
  if (!options.seed) return ResNet(options);
  std::lock_guard<std::mutex> lock(initMutex());
  torch::manual_seed(*options.seed);
  return ResNet(options);
}

}  // namespace

Model::Model(const ModelOptions& options)
    : options_(validated(options)), device_(resolveDevice(options_.device)) {
  net_ = buildNet(options_);
  net_->to(device_);
  for (const auto& p : net_->parameters()) parameterCount_ += p.numel();
  for (const auto& [name, tensor] : orderedStateDict(*net_)) keys_.push_back(name);
}

std::unique_ptr<Model> Model::fromFile(const std::string& path, const std::string& device) {
  SafetensorsFile file = readSafetensors(path);
  ModelOptions options = fromMetadata(file.metadata, path);
  options.device = device;
  auto model = std::make_unique<Model>(options);
  loadStateDict(*model->net_, file.tensors, path);
  return model;
}

std::optional<at::ScalarType> Model::checkInferenceSettings(const InferenceSettings& settings) const {
  const auto amp = ampDtype(settings.amp);
  // CPU autocast (torch.autocast('cpu')) lowers to bf16 only; fp16 needs CUDA.
  if (amp == std::optional<at::ScalarType>(at::kHalf) && !device_.is_cuda()) {
    // lib/options/train.ts checkAmpDevice owns the rule and the message; this only keeps fp16 off CPU kernels.
    throw std::invalid_argument("fp16 autocast on a " + device_.str() + " model (refused by lib/ as amp: 'fp16' off CUDA)");
  }
  return amp;
}

void Model::checkInput(const torch::Tensor& input) const {
  if (input.dim() != 4) {
    throw std::invalid_argument("input must be 4-D [N, C, H, W], got " + std::to_string(input.dim()) + "-D");
  }
  if (input.size(1) != options_.inChannels) {
    // lib/model.ts checkChannels owns the rule and the message; this only keeps a mismatch from running.
    throw std::invalid_argument("input of " + std::to_string(input.size(1)) + " channels for a model of " +
                                std::to_string(options_.inChannels) + " (refused by lib/ with its message)");
  }
}

torch::Tensor Model::predict(const torch::Tensor& input, const InferenceSettings& settings) {
  checkInput(input);
  const auto amp = checkInferenceSettings(settings);
  // Exclusive: predict flips the train/eval flag, which concurrent calls share.
  std::unique_lock<std::shared_mutex> lock(mutex_);
  c10::InferenceMode inference;
  const bool wasTraining = net_->is_training();
  net_->eval();
  // The input is a JS-owned (pageable) buffer and the logits are read right
  // after, so a pinned staging copy would only add a host copy here.
  auto x = input.to(device_);
  if (settings.channelsLast) x = x.contiguous(c10::MemoryFormat::ChannelsLast);
  torch::Tensor logits;
  // The prepared form serves CPU float32 and bf16 (amp 'bf16'); the module's
  // own forward serves exact calls and CUDA.
  const auto formDtype = amp.value_or(at::kFloat);
  if (!settings.exact && device_.is_cpu() && x.scalar_type() == torch::kFloat32 &&
      (formDtype == at::kFloat || (formDtype == at::kBFloat16 && bf16FormWorks()))) {
    try {
      logits = inferenceForm(formDtype).forward(x);
    } catch (const c10::Error&) {
      // oneDNN's bf16 kernels need AVX-512 (BW, VL, DQ); elsewhere bf16 runs
      // the module under autocast, with ATen's emulated bf16.
      if (formDtype != at::kBFloat16) throw;
      markBf16FormUnsupported();
      forms_.erase(at::kBFloat16);
    }
  }
  if (!logits.defined()) {
    AutocastGuard autocast(device_.type(), amp);
    logits = net_->forward(x);
  }
  logits = logits.to(torch::kCPU, torch::kFloat32).contiguous();
  if (wasTraining) net_->train();
  return logits;
}

Model::WeightVersion Model::weightVersion() const {
  WeightVersion version;
  version.emplace_back(nullptr, static_cast<int64_t>(weightsGeneration_));
  const auto add = [&](const torch::Tensor& t) {
    // Inference tensors carry no version counter; the model's own never are.
    version.emplace_back(t.data_ptr(), t.is_inference() ? -1 : static_cast<int64_t>(t._version()));
  };
  for (const auto& p : net_->parameters()) add(p);
  for (const auto& b : net_->buffers()) add(b);
  return version;
}

InferenceForm& Model::inferenceForm(at::ScalarType dtype) {
  auto version = weightVersion();
  if (version != formVersion_) {
    forms_.clear();  // free the old forms' packed weights before building a new one
    formVersion_ = std::move(version);
  }
  auto& form = forms_[dtype];
  if (!form) form = std::make_unique<InferenceForm>(*net_, dtype);
  return *form;
}

void Model::save(const std::string& path) {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  writeSafetensors(path, orderedStateDict(*net_), toMetadata(options_));
}

void Model::load(const std::string& path) {
  SafetensorsFile file = readSafetensors(path);  // read outside the lock: I/O can be slow
  std::unique_lock<std::shared_mutex> lock(mutex_);
  loadStateDict(*net_, file.tensors, path);
  forms_.clear();
}

}  // namespace senet
