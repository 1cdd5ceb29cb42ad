#include "testing/peak_probe.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <functional>

namespace senet {

namespace {

using Clock = std::chrono::steady_clock;

// Best GFLOP/s of `work` (which does `flops` operations) over repeated calls for `budget` seconds.
double bestRate(double flops, double budget, const std::function<void()>& work) {
  work();  // warm-up: allocation, oneDNN primitive creation, thread start
  double best = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(budget);
  do {
    const auto start = Clock::now();
    work();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, flops / s / 1e9);
  } while (Clock::now() < end);
  return best;
}

}  // namespace

PeakProbeResult runPeakProbe(double seconds) {
  c10::InferenceMode inference;
  torch::manual_seed(0);
  PeakProbeResult r;
  const auto started = Clock::now();

  const int64_t n = 1536;
  r.gemmSize = n;
  const auto a = torch::randn({n, n}), b = torch::randn({n, n});
  auto c = torch::empty({n, n});
  r.gemmGflops = bestRate(2.0 * n * n * n, seconds / 2, [&] { at::mm_out(c, a, b); });

  // A mid-network ResNet layer: 8 x 128 x 28 x 28, 3x3, 128 -> 128.
  const int64_t batch = 8, channels = 128, side = 28;
  if (at::hasMKLDNN()) {
    const auto x = torch::randn({batch, channels, side, side}).to_mkldnn();
    const auto w = at::mkldnn_reorder_conv2d_weight(torch::randn({channels, channels, 3, 3}).to_mkldnn(), {1, 1},
                                                    {1, 1}, {1, 1}, 1);
    const auto bias = torch::zeros({channels});
    const double flops = 2.0 * batch * channels * side * side * channels * 9;
    r.convGflops = bestRate(flops, seconds / 2, [&] {
      at::mkldnn_convolution(x, w, bias, {1, 1}, {1, 1}, {1, 1}, 1);
    });
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return r;
}

}  // namespace senet
