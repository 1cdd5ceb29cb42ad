#pragma once

// Synchronized BatchNorm for training: batch statistics over the global batch
// of all ranks, as torch.nn.SyncBatchNorm, for an existing BatchNorm2d (its
// weight, bias, running stats and options), so the model itself is unchanged
// and evaluation keeps using plain BatchNorm.

#include "dist/process_group.h"

#include <torch/nn/modules/batchnorm.h>

#include <string>

namespace senet {

// All-reduce SUM as an autograd function, like
// torch.distributed.nn.functional.all_reduce: forward sums x over ranks,
// backward sums the incoming gradient over ranks. Every rank must call it in
// the same order, forward and backward. comm must outlive the backward pass.
at::Tensor allReduceSumWithGrad(const at::Tensor& x, Communicator& comm, const std::string& what);

// Training-mode BatchNorm2d forward over the global batch:
//   mean  = Σ_ranks Σ x / N            (one all-reduce of per-channel sums and counts)
//   var   = Σ_ranks Σ (x − mean)² / N  (a second all-reduce; biased, for normalising)
//   y     = (x − mean) / sqrt(var + eps) · weight + bias
// and the running stats updated as BatchNorm2d does (momentum, or the
// cumulative average when momentum is unset; unbiased variance var·N/(N−1)
// with the global N; num_batches_tracked + 1). Gradients flow through the
// statistics to every rank's input, so x's gradient is that of the sum of all
// ranks' losses, and weight/bias get this rank's share — after GradSync's
// averaging, the same as plain BatchNorm over the concatenated batch of a loss
// that is the mean of the ranks' losses. Statistics travel in float64.
//
// Falls back to bn.forward(x) in eval mode and when worldSize is 1.
at::Tensor syncBatchNorm(const at::Tensor& x, torch::nn::BatchNorm2dImpl& bn, Communicator& comm);

}  // namespace senet
