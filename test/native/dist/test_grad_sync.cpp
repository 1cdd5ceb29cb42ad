// Gradient averaging: after GradSync, every rank's grads equal the mean of
// the ranks' local grads — computed here in one process from the same seeds —
// on a small conv+BN+fc net over two SGD steps, and on a many-parameter net
// with several buckets, a parameter only one rank uses, one nobody uses, and
// grads accumulated over two backward passes.

#include "dist_test_util.h"

#include "dist/grad_sync.h"
#include "dist/module_sync.h"

#include <torch/torch.h>

namespace senet::disttest {

namespace {

struct SmallNet : torch::nn::Module {
  SmallNet() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1).bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(8));
    fc = register_module("fc", torch::nn::Linear(8, 5));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = torch::relu(bn(conv(x)));
    return fc(torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr};
};

std::pair<torch::Tensor, torch::Tensor> smallBatch(int rank, int step) {
  torch::manual_seed(1000 + 10 * step + rank);
  return {torch::randn({4, 3, 8, 8}), torch::randint(0, 5, {4}, torch::kLong)};
}

std::vector<torch::Tensor> gradsOf(torch::nn::Module& net) {
  std::vector<torch::Tensor> grads;
  for (auto& p : net.parameters()) grads.push_back(p.grad().clone());
  return grads;
}

void copyBuffers(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard g;
  auto source = from.buffers();
  auto target = to.buffers();
  for (size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
}

bool testSmallNet() {
  const int port = freePort();
  auto outcomes = runRanks({}, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port));
    torch::manual_seed(rank == 0 ? 7 : 99);  // rank 1 starts elsewhere: broadcastFromRoot fixes it
    SmallNet net;
    broadcastFromRoot(net, *comm);
    GradSync sync(net.parameters(), comm);
    DIST_CHECK(sync.buckets().size() == 1, "a small net fits one (first) bucket");
    torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));

    // The reference: DDP by hand in this process. Two replicas from seed 7,
    // each computes its rank's local grads; both get the mean; rank 0's
    // buffers are copied into replica 1 before each forward (broadcast_buffers).
    torch::manual_seed(7);
    SmallNet replica0;
    torch::manual_seed(7);
    SmallNet replica1;
    torch::optim::SGD opt0(replica0.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    torch::optim::SGD opt1(replica1.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));

    double worst = 0;
    for (int step = 0; step < 2; ++step) {
      copyBuffers(replica0, replica1);
      std::vector<torch::Tensor> local[2];
      SmallNet* replicas[2] = {&replica0, &replica1};
      torch::optim::SGD* opts[2] = {&opt0, &opt1};
      for (int k = 0; k < 2; ++k) {
        opts[k]->zero_grad();
        auto [x, y] = smallBatch(k, step);
        torch::nn::functional::cross_entropy(replicas[k]->forward(x), y).backward();
        local[k] = gradsOf(*replicas[k]);
      }
      std::vector<torch::Tensor> mean;
      for (size_t i = 0; i < local[0].size(); ++i) mean.push_back((local[0][i] + local[1][i]) / 2);
      for (int k = 0; k < 2; ++k) {
        auto params = replicas[k]->parameters();
        torch::NoGradGuard g;
        for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad().copy_(mean[i]);
        opts[k]->step();
      }

      // The distributed step.
      broadcastBuffers(net, *comm);
      opt.zero_grad();
      auto [x, y] = smallBatch(rank, step);
      sync.prepare();
      torch::nn::functional::cross_entropy(net.forward(x), y).backward();
      sync.finish();
      auto params = net.parameters();
      for (size_t i = 0; i < params.size(); ++i) {
        worst = std::max(worst, maxAbsDiff(params[i].grad(), mean[i]));
        expectClose(params[i].grad(), mean[i], 0, 1e-6, "step " + std::to_string(step) + " grad " + std::to_string(i));
      }
      opt.step();
    }
    auto params = net.parameters();
    auto expected = replica0.parameters();
    for (size_t i = 0; i < params.size(); ++i) expectClose(params[i], expected[i], 0, 1e-6, "weights after 2 steps");
    say(rank, "max |averaged grad - mean of local grads| = " + sci(worst));
  });
  return allPassed(outcomes, "small net");
}

// 12 linear layers plus two that are registered first (so they land in the
// last bucket): `spare` is used by rank 0 only, `never` by nobody.
struct ManyNet : torch::nn::Module {
  ManyNet() {
    spare = register_module("spare", torch::nn::Linear(64, 64));
    never = register_module("never", torch::nn::Linear(64, 64));
    for (int i = 0; i < 12; ++i) layers.push_back(register_module("layer" + std::to_string(i), torch::nn::Linear(64, 64)));
  }
  torch::Tensor forward(torch::Tensor x, bool useSpare) {
    if (useSpare) x = torch::tanh(spare(x));
    for (auto& layer : layers) x = torch::tanh(layer(x));
    return x.pow(2).mean();
  }
  torch::nn::Linear spare{nullptr}, never{nullptr};
  std::vector<torch::nn::Linear> layers;
};

bool testManyBuckets() {
  const int port = freePort();
  auto outcomes = runRanks({}, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port));
    torch::manual_seed(3);
    ManyNet net;
    // Scaled-down caps so this small net spans several buckets: the first
    // closes at one layer (16.25 KiB >= 16 KiB), the others at three
    // (48.75 KiB >= 40 KiB): [layer11] [10 9 8] [7 6 5] [4 3 2] [1 0 never] [spare].
    GradSyncOptions caps;
    caps.firstBucketBytes = 16 * 1024;
    caps.bucketBytes = 40 * 1024;
    GradSync sync(net.parameters(), comm, caps);
    const auto& buckets = sync.buckets();
    DIST_CHECK(buckets.size() == 6, "6 buckets, got " + std::to_string(buckets.size()));
    const size_t n = net.parameters().size();  // 28
    DIST_CHECK(buckets[0].parameters == std::vector<size_t>({n - 1, n - 2}), "bucket 0 = last layer's bias, weight");
    for (size_t b = 1; b + 1 < buckets.size(); ++b)
      DIST_CHECK(buckets[b].parameters.size() == 6, "middle buckets hold three layers");
    DIST_CHECK(buckets.back().parameters.back() == 0, "the first parameter is in the last bucket");

    // Reference local grads for both ranks (rank 1 skips `spare`), in this process.
    auto batch = [](int k, int step) {
      torch::manual_seed(500 + 10 * step + k);
      return torch::randn({16, 64});
    };
    std::vector<std::vector<torch::Tensor>> local(2);
    std::vector<torch::Tensor> expectedAfterTwo, firstMean;
    for (int step = 0; step < 2; ++step) {
      for (int k = 0; k < 2; ++k) {
        torch::manual_seed(3);
        ManyNet replica;
        replica.forward(batch(k, step), k == 0).backward();
        local[k].clear();
        for (auto& p : replica.parameters())
          local[k].push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
      }
      for (size_t i = 0; i < n; ++i) {
        auto mean = (local[0][i] + local[1][i]) / 2;
        if (step == 0) expectedAfterTwo.push_back(mean), firstMean.push_back(mean);
        else expectedAfterTwo[i] = expectedAfterTwo[i] + mean;
      }
    }

    // Two backward passes without zeroing: grads accumulate; each pass is
    // averaged, so the result is the sum of the two averages (DDP's result).
    double worst = 0;
    for (int step = 0; step < 2; ++step) {
      sync.prepare();
      net.forward(batch(rank, step), rank == 0).backward();
      sync.finish();
      // Buckets 0-3 fill during backward; bucket 4 holds `never`, so it and
      // bucket 5 after it are launched by finish().
      DIST_CHECK(sync.launchedDuringBackward() == 4,
                 "4 buckets launched during backward (got " +
                     std::to_string(sync.launchedDuringBackward()) + ")");
      if (step == 0) {
        auto params = net.parameters();
        DIST_CHECK(params[2].grad().defined() && params[2].grad().abs().sum().item<double>() == 0,
                   "a parameter no rank used gets a zero grad");
        expectClose(params[0].grad(), firstMean[0], 0, 0, "`spare` (rank 0 only) = rank 0's grad / 2");
      }
    }
    auto params = net.parameters();
    for (size_t i = 0; i < n; ++i) {
      worst = std::max(worst, maxAbsDiff(params[i].grad(), expectedAfterTwo[i]));
      expectClose(params[i].grad(), expectedAfterTwo[i], 0, 1e-6, "accumulated grad " + std::to_string(i));
    }
    say(rank, std::to_string(buckets.size()) + " buckets; max |grad - expected| = " + sci(worst));

    // Misuse is refused clearly.
    bool refused = false;
    try {
      sync.finish();
    } catch (const std::logic_error&) {
      refused = true;
    }
    DIST_CHECK(refused, "finish() without prepare() refused");
  });
  return allPassed(outcomes, "many buckets");
}

bool testBucketLayout() {
  // DDP's caps on resnet50-shaped parameters, in one process.
  for (int depth : {18, 50}) {
    std::vector<at::Tensor> params;
    int64_t total = 0;
    for (const auto& shape : resnetParameterShapes(depth)) {
      params.push_back(torch::empty(shape));
      total += params.back().numel();
    }
    const int64_t expected = depth == 18 ? 11689512 : 25557032;
    DIST_CHECK(total == expected, "resnet" + std::to_string(depth) + " has " + std::to_string(expected) +
                                      " parameters, the shapes give " + std::to_string(total));
    const int64_t first = 1 << 20, cap = 25 << 20;
    auto buckets = assignGradBuckets(params, first, cap);
    std::vector<char> seen(params.size(), 0);
    size_t expectedNext = params.size();
    std::string sizes;
    for (size_t b = 0; b < buckets.size(); ++b) {
      const int64_t limit = b == 0 ? first : cap;
      int64_t bytes = 0;
      for (size_t index : buckets[b].parameters) {
        DIST_CHECK(index + 1 == expectedNext, "reverse parameter order");
        --expectedNext;
        seen[index] = 1;
        bytes += params[index].numel() * 4;
      }
      DIST_CHECK(bytes == buckets[b].bytes, "bucket bytes");
      const int64_t lastBytes = params[buckets[b].parameters.back()].numel() * 4;
      if (b + 1 < buckets.size())
        DIST_CHECK(bytes >= limit && bytes - lastBytes < limit, "a bucket closes at its cap");
      else
        DIST_CHECK(bytes < limit || bytes - lastBytes < limit, "the last bucket is not over-full");
      sizes += (b ? ", " : "") + std::to_string(bytes / 1024) + " KiB";
    }
    DIST_CHECK(expectedNext == 0, "every parameter in a bucket");
    std::printf("    resnet%d: %zu buckets: %s\n", depth, buckets.size(), sizes.c_str());
  }
  return true;
}

}  // namespace

std::vector<TestCase> gradSyncTests() {
  return {
      {"grad buckets: DDP layout on resnet18/50 shapes", testBucketLayout},
      {"grad sync: conv+BN+fc, 2 SGD steps = mean of local grads (2 ranks)", testSmallNet},
      {"grad sync: several buckets, unused parameters, accumulation (2 ranks)", testManyBuckets},
  };
}

}  // namespace senet::disttest
