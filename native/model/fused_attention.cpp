#include "model/fused_attention.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <limits>

namespace senet {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Planes per task: enough elements that OpenMP's fork/join is amortized.
int64_t grainFor(int64_t hw) { return std::max<int64_t>(1, (int64_t{1} << 15) / hw); }

struct Pooled {
  Tensor avg;     // N x C
  Tensor max;     // N x C, undefined unless the kind uses max
  Tensor argmax;  // N x C int64 offsets within the plane, idem
};

// The average is ATen's own mean (what adaptive_avg_pool2d computes), not a
// sum of our own: a different summation order changes the last bit, and ten
// SGD steps amplify that past the training-parity tolerance. Max and argmax
// are exact, so one scan of our own gives PyTorch's values.
Pooled pool(const Tensor& x, bool withMax) {
  const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
  Pooled p;
  p.avg = x.mean({2, 3});
  if (!withMax) return p;
  p.max = torch::empty({n, c}, x.options());
  p.argmax = torch::empty({n, c}, x.options().dtype(torch::kLong));
  const float* in = x.data_ptr<float>();
  float* mx = p.max.data_ptr<float>();
  int64_t* arg = p.argmax.data_ptr<int64_t>();
  at::parallel_for(0, n * c, grainFor(hw), [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {
      const float* v = in + q * hw;
      // adaptive_max_pool2d's rule, so the chosen index (ties, NaN) is the same.
      float best = -std::numeric_limits<float>::infinity();
      int64_t at = 0;
      for (int64_t i = 0; i < hw; ++i) {
        if (v[i] > best || std::isnan(v[i])) {
          best = v[i];
          at = i;
        }
      }
      mx[q] = best;
      arg[q] = at;
    }
  });
  return p;
}

// y = x * s, s broadcast over each plane.
Tensor scalePlanes(const Tensor& x, const Tensor& s) {
  const int64_t hw = x.size(2) * x.size(3);
  Tensor y = torch::empty_like(x);
  const float* in = x.data_ptr<float>();
  const float* sc = s.data_ptr<float>();
  float* out = y.data_ptr<float>();
  at::parallel_for(0, x.size(0) * x.size(1), grainFor(hw), [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {
      const float k = sc[q];
      const float* v = in + q * hw;
      float* o = out + q * hw;
      for (int64_t i = 0; i < hw; ++i) o[i] = v[i] * k;
    }
  });
  return y;
}

// grad_x = g * s + d(avg) / HW, plus d(max) at each plane's argmax, added
// in the order PyTorch's autograd accumulates the three paths into x's
// gradient ((mul + max pool) + mean), so the result is bit-identical.
Tensor gradInput(const Tensor& g, const Tensor& s, const Tensor& gAvg, const Tensor& gMax, const Tensor& argmax) {
  const int64_t hw = g.size(2) * g.size(3);
  Tensor gx = torch::empty_like(g);
  const float* gp = g.data_ptr<float>();
  const float* sc = s.data_ptr<float>();
  const float* ga = gAvg.data_ptr<float>();
  const float* gm = gMax.defined() ? gMax.data_ptr<float>() : nullptr;
  const int64_t* arg = gMax.defined() ? argmax.data_ptr<int64_t>() : nullptr;
  float* out = gx.data_ptr<float>();
  at::parallel_for(0, g.size(0) * g.size(1), grainFor(hw), [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {
      const float k = sc[q];
      const float spread = ga[q] / static_cast<float>(hw);
      const float* gi = gp + q * hw;
      float* o = out + q * hw;
      for (int64_t i = 0; i < hw; ++i) o[i] = gi[i] * k + spread;
      if (gm) {
        const int64_t i = arg[q];
        const float viaMax = gi[i] * k + gm[q];
        o[i] = viaMax + spread;
      }
    }
  });
  return gx;
}

// The autograd node. Inputs: x, the head's parameters (so their gradients
// reach the registered module parameters), the kind (not differentiable).
struct FusedAttention : public torch::autograd::Function<FusedAttention> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, at::TensorList params, AttentionKind kind) {
    Pooled p = pool(x, attentionUsesMax(kind));
    Tensor s = attentionHead(kind, p.avg, p.max, params).contiguous();
    variable_list saved{x};
    saved.insert(saved.end(), params.begin(), params.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["kind"] = static_cast<int64_t>(kind);
    ctx->saved_data["s"] = s;
    ctx->saved_data["avg"] = p.avg;
    if (p.max.defined()) {
      ctx->saved_data["max"] = p.max;
      ctx->saved_data["argmax"] = p.argmax;
    }
    return scalePlanes(x, s);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const Tensor& x = saved[0];
    const auto kind = static_cast<AttentionKind>(ctx->saved_data["kind"].toInt());
    const Tensor s = ctx->saved_data["s"].toTensor();
    const bool withMax = attentionUsesMax(kind);
    const Tensor g = grads[0].contiguous();

    // d(loss)/d(s) exactly as autograd reduces the broadcast multiply's
    // gradient (sum_to_size over H, W), for the same bits.
    const Tensor gs = (g * x).sum({2, 3});

    // Differentiate the head on the pooled vectors with fresh leaves: these
    // tensors are N x C and the parameters tiny, so this costs a handful of
    // small ops, and the formulas stay in one place (attentionHead).
    variable_list leaves;
    leaves.push_back(ctx->saved_data["avg"].toTensor().detach().requires_grad_());
    if (withMax) leaves.push_back(ctx->saved_data["max"].toTensor().detach().requires_grad_());
    const size_t firstParam = leaves.size();
    for (size_t i = 1; i < saved.size(); ++i) leaves.push_back(saved[i].detach().requires_grad_());
    variable_list headGrads;
    {
      torch::AutoGradMode enable(true);
      const at::TensorList params(leaves.data() + firstParam, leaves.size() - firstParam);
      const Tensor sAgain = attentionHead(kind, leaves[0], withMax ? leaves[1] : Tensor(), params);
      headGrads = torch::autograd::grad({sAgain}, leaves, {gs}, /*retain_graph=*/false, /*create_graph=*/false,
                                        /*allow_unused=*/true);
    }
    // A gradient is undefined only where the head ignores an input (never in
    // practice); zeros keep the kernels simple.
    for (size_t i = 0; i < headGrads.size(); ++i) {
      if (!headGrads[i].defined()) headGrads[i] = torch::zeros_like(leaves[i]);
    }

    const Tensor gx = gradInput(g, s, headGrads[0].contiguous(), withMax ? headGrads[1].contiguous() : Tensor(),
                                withMax ? ctx->saved_data["argmax"].toTensor() : Tensor());
    variable_list out{gx};
    out.insert(out.end(), headGrads.begin() + static_cast<std::ptrdiff_t>(firstParam), headGrads.end());
    out.emplace_back();  // kind
    return out;
  }
};

}  // namespace

bool fusedAttentionApplies(const torch::Tensor& x, at::TensorList params) {
  if (!x.defined() || x.dim() != 4 || !x.device().is_cpu() || x.scalar_type() != torch::kFloat32 ||
      !x.is_contiguous() || x.numel() == 0) {
    return false;
  }
  for (const auto& p : params) {
    if (!p.device().is_cpu() || p.scalar_type() != torch::kFloat32) return false;
  }
  return true;
}

torch::Tensor fusedChannelAttention(AttentionKind kind, const torch::Tensor& x, at::TensorList params) {
  bool needsGraph = torch::GradMode::is_enabled() && x.requires_grad();
  for (const auto& p : params) needsGraph = needsGraph || (torch::GradMode::is_enabled() && p.requires_grad());
  if (needsGraph) return FusedAttention::apply(x, params, kind);
  // Inference and no-grad evaluation: the same passes, no node.
  Pooled p = pool(x, attentionUsesMax(kind));
  return scalePlanes(x, attentionHead(kind, p.avg, p.max, params).contiguous());
}

}  // namespace senet
