// --timing: how long gradient all-reduce takes for resnet18 (11.7M floats) and
// resnet50 (25.6M floats) with 2 processes on loopback, in GradSync's buckets
// (DDP's caps), against one flat all-reduce; and the cost GradSync adds to a
// step (copy in, all-reduce, copy out) over a purely local backward.
// Medians of n >= 20 repetitions after 3 warm-ups. Timings, not assertions.

#include "dist_test_util.h"

#include "dist/grad_sync.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace senet::disttest {

std::vector<std::vector<int64_t>> resnetParameterShapes(int depth) {
  const bool bottleneck = depth >= 50;
  std::vector<int> blocks;
  switch (depth) {
    case 18: blocks = {2, 2, 2, 2}; break;
    case 34: blocks = {3, 4, 6, 3}; break;
    case 50: blocks = {3, 4, 6, 3}; break;
    case 101: blocks = {3, 4, 23, 3}; break;
    case 152: blocks = {3, 8, 36, 3}; break;
    default: throw std::invalid_argument("resnet depth");
  }
  const int64_t expansion = bottleneck ? 4 : 1;
  std::vector<std::vector<int64_t>> shapes;
  auto conv = [&](int64_t out, int64_t in, int64_t k) { shapes.push_back({out, in, k, k}); };
  auto bn = [&](int64_t c) {
    shapes.push_back({c});
    shapes.push_back({c});
  };
  conv(64, 3, 7);
  bn(64);
  int64_t inplanes = 64;
  for (int layer = 0; layer < 4; ++layer) {
    const int64_t planes = 64 << layer;
    for (int b = 0; b < blocks[layer]; ++b) {
      const bool downsample = b == 0 && (layer > 0 || inplanes != planes * expansion);
      if (bottleneck) {
        conv(planes, inplanes, 1);
        bn(planes);
        conv(planes, planes, 3);
        bn(planes);
        conv(planes * expansion, planes, 1);
        bn(planes * expansion);
      } else {
        conv(planes, inplanes, 3);
        bn(planes);
        conv(planes, planes, 3);
        bn(planes);
      }
      if (downsample) {
        conv(planes * expansion, inplanes, 1);
        bn(planes * expansion);
      }
      inplanes = planes * expansion;
    }
  }
  shapes.push_back({1000, 512 * expansion});
  shapes.push_back({1000});
  return shapes;
}

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

template <typename F>
std::vector<double> timed(Communicator& comm, int reps, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < reps + 3; ++i) {
    comm.barrier("timing barrier");  // both ranks start together
    const double start = nowSeconds();
    f();
    if (i >= 3) ms.push_back(secondsSince(start) * 1000);
  }
  return ms;
}

}  // namespace

int runTiming(int argc, char** argv) {
  const int reps = std::max(20, argc > 2 ? std::atoi(argv[2]) : 25);
  bool ok = true;
  for (int depth : {18, 50}) {
    const int port = freePort();
    auto outcomes = runRanks({2, 900, nullptr, nullptr, -1}, [&](int rank) {
      torch::set_num_threads(1);
      auto comm = Communicator::connect(rankOptions(rank, 2, port, 120));
      std::vector<at::Tensor> params;
      int64_t total = 0;
      torch::manual_seed(rank);
      for (const auto& shape : resnetParameterShapes(depth)) {
        params.push_back(torch::randn(shape).requires_grad_(true));
        total += params.back().numel();
      }
      GradSync sync(params, comm);
      const auto& layout = sync.buckets();

      // 1. The buckets alone: launched in order, then all waited for.
      std::vector<at::Tensor> buffers;
      for (const auto& b : layout) buffers.push_back(torch::randn({b.bytes / 4}));
      auto bucketed = timed(*comm, reps, [&] {
        std::vector<PendingCollective> pending;
        for (size_t b = 0; b < buffers.size(); ++b) pending.push_back(comm->allReduceAsync({buffers[b]}, "bucket"));
        for (auto& p : pending) p.wait();
      });
      // 2. One flat all-reduce of all gradients.
      auto flat = torch::randn({total});
      auto single = timed(*comm, reps, [&] { comm->allReduce({flat}, "flat all-reduce"); });
      // 3. A step's backward: grads produced in reverse order (as a network's
      //    would be), local only vs with GradSync.
      std::vector<at::Tensor> weights;
      for (auto& p : params) weights.push_back(torch::randn_like(p));
      // Grads set to None before each step (optimizer.zero_grad(set_to_none)).
      auto backward = [&] {
        at::Tensor loss = torch::zeros({});
        for (size_t i = 0; i < params.size(); ++i) loss = loss + (params[i] * weights[i]).sum();
        loss.backward();
      };
      auto noGrads = [&] {
        for (auto& p : params) p.mutable_grad() = at::Tensor();
      };
      auto local = timed(*comm, reps, [&] {
        noGrads();
        backward();
      });
      auto synced = timed(*comm, reps, [&] {
        noGrads();
        sync.prepare();
        backward();
        sync.finish();
      });
      if (rank == 0) {
        std::string sizes;
        for (size_t b = 0; b < layout.size(); ++b)
          sizes += (b ? " " : "") + std::to_string((layout[b].bytes + (1 << 19)) >> 20);
        const double mb = total * 4.0 / (1 << 20);
        std::printf("resnet%d: %lld floats (%.1f MiB) in %zu buckets [MiB: %s], 2 ranks, loopback, median of %d\n",
                    depth, static_cast<long long>(total), mb, layout.size(), sizes.c_str(), reps);
        std::printf("  all-reduce, GradSync buckets      %8.1f ms  (min %.1f)  %.2f GB/s algbw\n", median(bucketed),
                    *std::min_element(bucketed.begin(), bucketed.end()), total * 4.0 / median(bucketed) / 1e6);
        std::printf("  all-reduce, one flat buffer       %8.1f ms  (min %.1f)\n", median(single),
                    *std::min_element(single.begin(), single.end()));
        std::printf("  backward (synthetic), local only  %8.1f ms\n", median(local));
        std::printf("  backward + GradSync (hooks, copy, all-reduce overlapped, finish)  %8.1f ms  => +%.1f ms per step\n",
                    median(synced), median(synced) - median(local));
        std::printf("  buckets launched during backward: %d of %zu\n", sync.launchedDuringBackward(), layout.size());
      }
    });
    ok = allPassed(outcomes, "timing resnet" + std::to_string(depth)) && ok;
  }
  return ok ? 0 : 1;
}

}  // namespace senet::disttest
