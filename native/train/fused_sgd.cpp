#include "train/fused_sgd.h"

#include <ATen/Parallel.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SENET_FUSED_SGD_X86 1
#endif

namespace senet {

namespace {

bool servable(const torch::Tensor& t, const torch::Tensor& like) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous() &&
         t.sizes() == like.sizes();
}

#ifdef SENET_FUSED_SGD_X86

// ATen's CPU kernels receive Scalars converted to the tensor's dtype, so the
// hyper-parameters enter the arithmetic as floats.
struct FloatHyper {
  float negLr, wd, momentum, blend, nesterovMomentum;
  bool decay, useMomentum, nesterov, first;
};

__attribute__((target("avx2,fma"))) void sgdRange(float* p, const float* g, float* buf, int64_t begin, int64_t end,
                                                   const FloatHyper& h) {
  const __m256 vNegLr = _mm256_set1_ps(h.negLr), vWd = _mm256_set1_ps(h.wd), vMom = _mm256_set1_ps(h.momentum),
               vBlend = _mm256_set1_ps(h.blend);
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    __m256 d = _mm256_loadu_ps(g + i);
    const __m256 pv = _mm256_loadu_ps(p + i);
    if (h.decay) d = _mm256_fmadd_ps(pv, vWd, d);  // g.add(p, alpha=wd)
    if (h.useMomentum) {
      __m256 b;
      if (h.first) {
        b = d;  // buf = d.clone()
      } else {
        b = _mm256_mul_ps(_mm256_loadu_ps(buf + i), vMom);  // buf.mul_(momentum)
        b = _mm256_fmadd_ps(d, vBlend, b);                  // .add_(d, alpha=1-dampening)
      }
      _mm256_storeu_ps(buf + i, b);
      d = h.nesterov ? _mm256_fmadd_ps(b, vMom, d) : b;  // d.add(buf, alpha=momentum) or buf
    }
    _mm256_storeu_ps(p + i, _mm256_fmadd_ps(d, vNegLr, pv));  // p.add_(d, alpha=-lr)
  }
  for (; i < end; ++i) {  // tail: same fused operations, one lane at a time
    float d = g[i];
    if (h.decay) d = __builtin_fmaf(p[i], h.wd, d);
    if (h.useMomentum) {
      const float b = h.first ? d : __builtin_fmaf(d, h.blend, buf[i] * h.momentum);
      buf[i] = b;
      d = h.nesterov ? __builtin_fmaf(b, h.momentum, d) : b;
    }
    p[i] = __builtin_fmaf(d, h.negLr, p[i]);
  }
}

bool cpuHasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

#endif

}  // namespace

bool fusedSgdStep(torch::Tensor& param, const torch::Tensor& grad, torch::Tensor& buffer, bool firstStep,
                  const SgdHyper& hyper) {
#ifdef SENET_FUSED_SGD_X86
  const bool useMomentum = hyper.momentum != 0;
  if (!cpuHasAvx2Fma() || !servable(param, param) || !servable(grad, param)) return false;
  if (useMomentum && !firstStep && !servable(buffer, param)) return false;
  if (useMomentum && firstStep) buffer = torch::empty_like(param, torch::MemoryFormat::Contiguous);
  const FloatHyper h{static_cast<float>(-hyper.lr),       static_cast<float>(hyper.weightDecay),
                     static_cast<float>(hyper.momentum),  static_cast<float>(1 - hyper.dampening),
                     static_cast<float>(hyper.momentum),  hyper.weightDecay != 0,
                     useMomentum,                         hyper.nesterov,
                     firstStep};
  float* p = param.data_ptr<float>();
  const float* g = grad.data_ptr<float>();
  float* buf = useMomentum ? buffer.data_ptr<float>() : nullptr;
  // Chunks of 32k floats: big enough to amortise a task, small enough to split a layer across threads.
  at::parallel_for(0, param.numel(), 1 << 15, [&](int64_t begin, int64_t end) { sgdRange(p, g, buf, begin, end, h); });
  return true;
#else
  (void)param, (void)grad, (void)buffer, (void)firstStep, (void)hyper;
  return false;
#endif
}

}  // namespace senet
