// A Conv2d with the eval-mode BatchNorm after it folded in, and optionally
// the ReLU after that, prepared once for repeated inference:
//   w' = w * gamma / sqrt(var + eps)   b' = beta + (b - mean) * gamma / sqrt(var + eps)
// (computed in float64, stored as float32 or bfloat16: the same fold as
// torch.fx / torch.jit.freeze's, a few ulp from the unfolded result).
// The weight is handed to oneDNN once, for one of two activation layouts:
//   - channels_last (operator()): libtorch's prepacked convolution
//     (mkldnn_prepacked::conv2d_prepack, what torch.jit.optimize_for_inference
//     uses on CPU), with the ReLU as a oneDNN post-op. Where that operator is
//     missing, at::conv2d on channels_last weights plus an in-place ReLU
//     gives the same numbers more slowly;
//   - oneDNN's blocked layout (blocked()): the weight reordered once by
//     mkldnn_reorder_conv2d_weight, the ReLU an in-place oneDNN op.
// Either way no call reorders the weight.
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
