// Classification metrics accumulated over an evaluation pass: top-1/top-5 as
// torchvision's reference scripts compute them, mean loss, per-class accuracy
// and the confusion matrix (rows: true class, columns: predicted).
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

#include <functional>
#include <vector>

namespace senet {

struct EvalResult {
  double top1 = 0;  // percent
  double top5 = 0;  // percent; k = min(5, numClasses)
  double loss = 0;  // mean cross-entropy (no label smoothing)
  int64_t count = 0;
  std::vector<double> perClassAccuracy;            // percent; NaN for classes absent from the data
  std::vector<std::vector<int64_t>> confusion;     // numClasses x numClasses
};

// The wire form (lib/native.ts EvalResult): the metrics, a NaN class accuracy as null, and the confusion matrix
// when it was collected. evalMetricsJson: the metrics alone (EvalMetrics: events, the best evaluation).
void to_json(WireJson& j, const EvalResult& e);
WireJson evalMetricsJson(const EvalResult& e);

class MetricAccumulator {
 public:
  explicit MetricAccumulator(int64_t numClasses);
  void add(const torch::Tensor& logits, const torch::Tensor& labels);  // on any device
  // Adds the other processes' totals: `sum` replaces each tensor by its sum
  // over processes (the same list on every process). Afterwards result()
  // describes the whole evaluation. `device`: where the totals live when this
  // process saw no batch.
  void combine(const std::function<void(std::vector<torch::Tensor>&)>& sum, const torch::Device& device);
  EvalResult result() const;

 private:
  void initTotals(const torch::Device& device);

  int64_t numClasses_;
  torch::Tensor lossSum_, top1_, top5_, confusion_;  // kept on the logits' device until result()
  int64_t count_ = 0;
};

}  // namespace senet
