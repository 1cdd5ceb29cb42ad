#include "model/nhwc_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

namespace senet {

namespace {

// Elements per task: enough that OpenMP's fork/join is amortized.
constexpr int64_t kGrainElements = int64_t{1} << 15;
// Channels one pooling task owns: a contiguous run of each pixel's vector.
constexpr int64_t kPoolChannels = 64;
// Rows summed in float before joining the running total: bounds the
// rounding error of very large maps without a double accumulator.
constexpr int64_t kPoolRowsPerPartial = 256;

void checkNhwc(const torch::Tensor& t, const char* what) {
  if (!t.defined() || t.dim() != 4 || !t.device().is_cpu() || !t.is_contiguous(c10::MemoryFormat::ChannelsLast)) {
    throw std::invalid_argument(std::string("nhwc kernel: ") + what + " must be a channels_last CPU N x C x H x W tensor");
  }
}

inline float maxWithNan(float best, float v) { return (v > best || v != v) ? v : best; }

}  // namespace

PooledNhwc poolNhwc(const torch::Tensor& x, bool withMax) {
  checkNhwc(x, "input");
  PooledNhwc p;
  if (x.scalar_type() != torch::kFloat32) {
    p.avg = x.mean({2, 3}).to(torch::kFloat32);
    if (withMax) p.max = x.amax({2, 3}).to(torch::kFloat32);
    return p;
  }
  const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
  p.avg = torch::empty({n, c}, x.options().memory_format(c10::MemoryFormat::Contiguous));
  if (withMax) p.max = torch::empty({n, c}, p.avg.options());
  const float* in = x.data_ptr<float>();
  float* avg = p.avg.data_ptr<float>();
  float* mx = withMax ? p.max.data_ptr<float>() : nullptr;
  const int64_t chunks = (c + kPoolChannels - 1) / kPoolChannels;
  const int64_t grain = std::max<int64_t>(1, kGrainElements / (hw * kPoolChannels));
  at::parallel_for(0, n * chunks, grain, [&](int64_t begin, int64_t end) {
    float total[kPoolChannels], partial[kPoolChannels], best[kPoolChannels];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t image = task / chunks, c0 = (task % chunks) * kPoolChannels;
      const int64_t width = std::min(kPoolChannels, c - c0);
      const float* base = in + image * hw * c + c0;
      std::fill(total, total + width, 0.f);
      std::fill(best, best + width, -std::numeric_limits<float>::infinity());
      for (int64_t r0 = 0; r0 < hw; r0 += kPoolRowsPerPartial) {
        const int64_t r1 = std::min(hw, r0 + kPoolRowsPerPartial);
        std::fill(partial, partial + width, 0.f);
        for (int64_t r = r0; r < r1; ++r) {
          const float* v = base + r * c;
          for (int64_t j = 0; j < width; ++j) partial[j] += v[j];
          if (mx) {
            for (int64_t j = 0; j < width; ++j) best[j] = maxWithNan(best[j], v[j]);
          }
        }
        for (int64_t j = 0; j < width; ++j) total[j] += partial[j];
      }
      const float scale = 1.f / static_cast<float>(hw);
      for (int64_t j = 0; j < width; ++j) avg[image * c + c0 + j] = total[j] * scale;
      if (mx) std::copy(best, best + width, mx + image * c + c0);
    }
  });
  return p;
}

void scaleAddReluNhwc_(torch::Tensor& out, const torch::Tensor& s, const torch::Tensor& identity) {
  checkNhwc(out, "output");
  checkNhwc(identity, "identity");
  if (!out.sizes().equals(identity.sizes()) || out.scalar_type() != identity.scalar_type()) {
    throw std::invalid_argument("nhwc kernel: identity shape or dtype differs from the output's");
  }
  const int64_t n = out.size(0), c = out.size(1), hw = out.size(2) * out.size(3);
  if (out.scalar_type() != torch::kFloat32) {
    if (s.defined()) out.mul_(s.to(out.scalar_type()).view({n, c, 1, 1}));
    out.add_(identity).relu_();
    return;
  }
  if (s.defined() && (s.dim() != 2 || s.size(0) != n || s.size(1) != c || !s.is_contiguous() ||
                      s.scalar_type() != torch::kFloat32)) {
    throw std::invalid_argument("nhwc kernel: scale must be a contiguous float32 N x C tensor");
  }
  float* o = out.data_ptr<float>();
  const float* id = identity.data_ptr<float>();
  const float* sc = s.defined() ? s.data_ptr<float>() : nullptr;
  const int64_t grain = std::max<int64_t>(1, kGrainElements / c);
  at::parallel_for(0, n * hw, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      float* v = o + row * c;
      const float* r = id + row * c;
      if (sc) {
        const float* k = sc + (row / hw) * c;
        for (int64_t j = 0; j < c; ++j) {
          const float y = v[j] * k[j] + r[j];
          v[j] = y < 0.f ? 0.f : y;  // relu keeps NaN, as torch.relu does
        }
      } else {
        for (int64_t j = 0; j < c; ++j) {
          const float y = v[j] + r[j];
          v[j] = y < 0.f ? 0.f : y;
        }
      }
    }
  });
}

}  // namespace senet
