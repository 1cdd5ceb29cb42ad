#pragma once

// Summing metrics over all ranks: evaluation counts, loss sums, a confusion
// matrix. Synchronous, because the caller needs the global value right away
// (at a logging point, not inside the step).

#include "dist/process_group.h"

#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace senet {

// Replaces every tensor's values with their element-wise sum over all ranks.
// Tensors may mix dtypes (float64 sums next to int64 counts) and devices:
// one collective per (dtype, device) group, in order of first appearance, so
// every rank must pass the same list (same shapes, same order).
void allReduceSum(Communicator& comm, std::vector<at::Tensor>& tensors, const std::string& what = "sum of metrics");

}  // namespace senet
