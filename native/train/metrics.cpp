#include "train/metrics.h"

#include <cmath>

#include <limits>

namespace senet {

WireJson evalMetricsJson(const EvalResult& e) {
  WireJson perClass = WireJson::array();
  for (double v : e.perClassAccuracy) perClass.push_back(std::isnan(v) ? WireJson(nullptr) : WireJson(v));
  return {{"top1", e.top1}, {"top5", e.top5}, {"loss", e.loss}, {"count", e.count}, {"perClassAccuracy", perClass}};
}

void to_json(WireJson& j, const EvalResult& e) {
  j = evalMetricsJson(e);
  if (!e.confusion.empty()) j["confusion"] = e.confusion;
}

MetricAccumulator::MetricAccumulator(int64_t numClasses) : numClasses_(numClasses) {}

void MetricAccumulator::initTotals(const torch::Device& device) {
  if (lossSum_.defined()) return;
  lossSum_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  top1_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  top5_ = top1_.clone();
  confusion_ = torch::zeros({numClasses_ * numClasses_}, torch::TensorOptions().dtype(torch::kInt64).device(device));
}

void MetricAccumulator::add(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto device = logits.device();
  initTotals(device);
  const auto target = labels.to(device);
  lossSum_ += torch::nn::functional::cross_entropy(
                  logits, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                  .to(torch::kFloat64);
  const int64_t k = std::min<int64_t>(5, numClasses_);
  const auto topk = std::get<1>(logits.topk(k, 1, /*largest=*/true, /*sorted=*/true));
  const auto correct = topk.eq(target.view({-1, 1}));
  top1_ += correct.narrow(1, 0, 1).sum();
  top5_ += correct.sum();
  const auto predicted = topk.select(1, 0);
  confusion_.index_add_(0, target * numClasses_ + predicted, torch::ones_like(target));
  count_ += labels.size(0);
}

void MetricAccumulator::combine(const std::function<void(std::vector<torch::Tensor>&)>& sum, const torch::Device& device) {
  initTotals(device);
  const auto count = torch::full({}, count_, torch::TensorOptions().dtype(torch::kInt64).device(lossSum_.device()));
  std::vector<torch::Tensor> totals{lossSum_, top1_, top5_, confusion_, count};
  sum(totals);
  lossSum_ = totals[0];
  top1_ = totals[1];
  top5_ = totals[2];
  confusion_ = totals[3];
  count_ = totals[4].item<int64_t>();
}

EvalResult MetricAccumulator::result() const {
  EvalResult r;
  r.count = count_;
  if (count_ == 0) return r;
  r.loss = lossSum_.item<double>() / static_cast<double>(count_);
  r.top1 = 100.0 * static_cast<double>(top1_.item<int64_t>()) / static_cast<double>(count_);
  r.top5 = 100.0 * static_cast<double>(top5_.item<int64_t>()) / static_cast<double>(count_);
  const auto matrix = confusion_.to(torch::kCPU).view({numClasses_, numClasses_});
  auto acc = matrix.accessor<int64_t, 2>();
  r.confusion.assign(numClasses_, std::vector<int64_t>(numClasses_, 0));
  for (int64_t t = 0; t < numClasses_; ++t) {
    int64_t total = 0;
    for (int64_t p = 0; p < numClasses_; ++p) {
      r.confusion[t][p] = acc[t][p];
      total += acc[t][p];
    }
    r.perClassAccuracy.push_back(total ? 100.0 * static_cast<double>(acc[t][t]) / static_cast<double>(total)
                                       : std::numeric_limits<double>::quiet_NaN());
  }
  return r;
}

}  // namespace senet
