#include "model/state_dict.h"

#include <set>
#include <stdexcept>
#include <unordered_map>

namespace senet {

namespace {

void collect(const torch::nn::Module& module, const std::string& prefix, NamedTensors& out) {
  for (const auto& p : module.named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.key(), b.value());
  for (const auto& child : module.named_children()) collect(*child.value(), prefix + child.key() + ".", out);
}

std::string listKeys(const std::vector<std::string>& keys) {
  const size_t shown = std::min<size_t>(keys.size(), 5);
  std::string out;
  for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + keys[i];
  if (keys.size() > shown) out += ", ... (" + std::to_string(keys.size()) + " in all)";
  return out;
}

bool isFloating(torch::ScalarType t) { return at::isFloatingType(t); }

}  // namespace

std::string shapeString(at::IntArrayRef shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

NamedTensors orderedStateDict(const torch::nn::Module& module) {
  NamedTensors out;
  collect(module, "", out);
  return out;
}

void loadStateDict(torch::nn::Module& module, const NamedTensors& source, const std::string& origin) {
  const NamedTensors target = orderedStateDict(module);
  std::unordered_map<std::string, const torch::Tensor*> byName;
  for (const auto& [name, tensor] : source) byName[name] = &tensor;

  std::vector<std::string> missing, unexpected;
  std::set<std::string> known;
  for (const auto& [name, tensor] : target) {
    known.insert(name);
    if (!byName.count(name)) missing.push_back(name);
  }
  for (const auto& [name, tensor] : source) {
    if (!known.count(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !unexpected.empty()) {
    std::string message = origin + " does not match the model:";
    if (!missing.empty()) message += " missing keys: " + listKeys(missing) + ";";
    if (!unexpected.empty()) message += " unexpected keys: " + listKeys(unexpected) + ";";
    message += " (was the file saved from a model with other arch/attention/stem options?)";
    throw std::invalid_argument(message);
  }
  for (const auto& [name, tensor] : target) {
    const torch::Tensor& incoming = *byName.at(name);
    if (incoming.sizes() != tensor.sizes()) {
      throw std::invalid_argument(origin + ": key '" + name + "' has shape " + shapeString(incoming.sizes()) +
                                  " in the file but the model expects " + shapeString(tensor.sizes()));
    }
    if (isFloating(incoming.scalar_type()) != isFloating(tensor.scalar_type())) {
      throw std::invalid_argument(origin + ": key '" + name + "' has dtype " +
                                  c10::toString(incoming.scalar_type()) + " in the file but the model expects " +
                                  c10::toString(tensor.scalar_type()));
    }
  }
  torch::NoGradGuard noGrad;
  for (const auto& [name, tensor] : target) {
    torch::Tensor destination = tensor;
    destination.copy_(*byName.at(name));
  }
}

}  // namespace senet
