#include "testing/model_gradients.h"

#include <stdexcept>

namespace senet {

std::pair<double, NamedTensors> modelGradients(Model& model, const torch::Tensor& input, const torch::Tensor& labels) {
  model.checkInput(input);
  if (labels.dim() != 1 || labels.size(0) != input.size(0)) {
    throw std::invalid_argument("labels must hold one class index per image");
  }
  auto lock = model.lockExclusive();
  ResNet& net = model.net();
  std::vector<torch::Tensor> buffers;
  {
    torch::NoGradGuard noGrad;
    for (const auto& b : net->buffers()) buffers.push_back(b.clone());
  }
  const bool wasTraining = net->is_training();
  net->train();
  auto loss = torch::nn::functional::cross_entropy(net->forward(input.to(model.device())), labels.to(model.device()));
  loss.backward();
  std::pair<double, NamedTensors> result{loss.item<double>(), {}};
  for (const auto& p : net->named_parameters()) {
    result.second.emplace_back(p.key(), p.value().grad().to(torch::kCPU));
    p.value().mutable_grad().reset();
  }
  torch::NoGradGuard noGrad;
  auto now = net->buffers();
  for (size_t i = 0; i < now.size(); ++i) now[i].copy_(buffers[i]);
  if (!wasTraining) net->eval();
  return result;
}

}  // namespace senet
