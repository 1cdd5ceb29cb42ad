// A Conv2d with the eval-mode BatchNorm after it folded in, and optionally
// the ReLU after that, prepared once for repeated inference:
//   w' = w * gamma / sqrt(var + eps)   b' = beta + (b - mean) * gamma / sqrt(var + eps)
// (computed in float64, stored as float32 or bfloat16: the same fold as
// torch.fx / torch.jit.freeze's, a few ulp from the unfolded result).
// The weight is handed to oneDNN once through libtorch's prepacked
// convolution (mkldnn_prepacked::conv2d_prepack, what
// torch.jit.optimize_for_inference uses on CPU): reordered into oneDNN's
// blocked layout with the ReLU as a post-op, so a call neither reorders the
// weight nor makes a separate ReLU pass. Where that operator is missing (a
// libtorch built without oneDNN), at::conv2d on channels_last weights plus
// an in-place ReLU gives the same numbers more slowly.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace senet {

class FoldedConv {
 public:
  FoldedConv() = default;
  // dtype: float32, or bfloat16 for the bf16 inference form.
  FoldedConv(torch::nn::Conv2dImpl& conv, torch::nn::BatchNorm2dImpl& bn, bool relu, at::ScalarType dtype);

  // x: channels_last CPU in the dtype given at construction; returns channels_last.
  torch::Tensor operator()(const torch::Tensor& x);
  // x: a oneDNN (mkldnn-layout) tensor in oneDNN's blocked format; returns
  // one. The weight is reordered for it once, on the first call.
  torch::Tensor blocked(const torch::Tensor& x);
  bool defined() const { return bias_.defined(); }
  // Whether calls go through oneDNN's prepacked convolution.
  static bool prepackedAvailable();
  // Whether blocked() can run (a libtorch built with oneDNN).
  static bool blockedAvailable();

 private:
  // Folded, in the compute dtype; N C H W contiguous (the prepack input) or
  // channels_last (fallback). Released once packed: a form runs one layout.
  torch::Tensor weight_;
  torch::Tensor bias_;    // float32 (the compute dtype in the fallback)
  std::vector<int64_t> stride_, padding_, dilation_;
  int64_t groups_ = 1;
  bool relu_ = false;
  // The prepacked context (a torch.classes.mkldnn.ConvOpContext), packed for
  // the first input's shape. Other shapes reuse it: oneDNN's weight layout
  // depends on the channels and the CPU, not on N, H, W (and where it did,
  // oneDNN would reorder for that call, still giving the same values).
  c10::IValue packed_;
  torch::Tensor blockedWeight_;  // the weight in oneDNN's blocked layout (mkldnn tensor)
};

}  // namespace senet
