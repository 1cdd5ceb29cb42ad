// Sync BatchNorm with 2 ranks x batch 4 against plain torch::nn::BatchNorm2d
// over the concatenated batch 8 in one process (PyTorch 1.13's SyncBatchNorm
// refuses CPU tensors, and plain BN over the global batch is what it computes).

#include "dist_test_util.h"

#include "dist/grad_sync.h"
#include "dist/module_sync.h"
#include "dist/sync_batchnorm.h"

#include <torch/torch.h>

namespace senet::disttest {

namespace {

torch::nn::BatchNorm2d makeBn(bool cumulative) {
  auto options = torch::nn::BatchNorm2dOptions(6);
  if (cumulative) options.momentum({});  // unset: cumulative moving average
  torch::nn::BatchNorm2d bn(options);
  torch::manual_seed(5);
  torch::NoGradGuard g;
  bn->weight.uniform_(0.5, 1.5);
  bn->bias.uniform_(-0.5, 0.5);
  return bn;
}

// Global batch of step `step`: 8 x 6 x 5 x 5, mean ~1, std ~3, and an upstream gradient.
std::pair<torch::Tensor, torch::Tensor> globalBatch(int step) {
  torch::manual_seed(11 + step);
  auto x = torch::randn({8, 6, 5, 5}) * 3 + 1;
  auto g = torch::randn({8, 6, 5, 5});
  return {x, g};
}

bool runSyncBnCheck(bool cumulative) {
  const int port = freePort();
  auto outcomes = runRanks({}, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port));
    auto bn = makeBn(cumulative);
    auto reference = makeBn(cumulative);
    GradSync sync(bn->parameters(), comm);
    double worstOut = 0, worstX = 0, worstW = 0, worstStats = 0;
    for (int step = 0; step < 3; ++step) {
      auto [x, g] = globalBatch(step);
      // Reference: one process, the whole batch, loss = sum(out * g).
      reference->zero_grad();
      auto xr = x.clone().requires_grad_(true);
      auto outRef = reference->forward(xr);
      (outRef * g).sum().backward();

      // This rank: its half, loss_r = sum(out_r * g_r); the losses sum to the reference's.
      auto xl = x.narrow(0, 4 * rank, 4).clone().requires_grad_(true);
      sync.prepare();
      auto out = syncBatchNorm(xl, *bn, *comm);
      (out * g.narrow(0, 4 * rank, 4)).sum().backward();
      sync.finish();

      const std::string at = "step " + std::to_string(step) + ": ";
      auto rel = [&](const torch::Tensor& a, const torch::Tensor& e, const std::string& what, double& worst) {
        const double r = maxRelDiff(a, e);
        worst = std::max(worst, r);
        DIST_CHECK(r <= 1e-5, at + what + ": relative error " + std::to_string(r) + " > 1e-5");
      };
      rel(out, outRef.narrow(0, 4 * rank, 4), "output", worstOut);
      // x's gradient is that of the sum of both ranks' losses (as SyncBatchNorm).
      rel(xl.grad(), xr.grad().narrow(0, 4 * rank, 4), "input gradient", worstX);
      // GradSync averaged weight/bias grads: x worldSize = the summed loss's.
      rel(bn->weight.grad() * 2, reference->weight.grad(), "weight gradient", worstW);
      rel(bn->bias.grad() * 2, reference->bias.grad(), "bias gradient", worstW);
      rel(bn->running_mean, reference->running_mean, "running_mean", worstStats);
      rel(bn->running_var, reference->running_var, "running_var", worstStats);
      DIST_CHECK(bn->num_batches_tracked.item<int64_t>() == reference->num_batches_tracked.item<int64_t>(),
                 at + "num_batches_tracked");
      bn->zero_grad();
    }
    DIST_CHECK(bn->num_batches_tracked.item<int64_t>() == 3, "num_batches_tracked = 3");
    // Eval: plain BatchNorm with the (identical) running stats, no communication.
    bn->eval();
    reference->eval();
    auto [x, g] = globalBatch(7);
    auto xl = x.narrow(0, 4 * rank, 4);
    const double evalDiff = maxAbsDiff(syncBatchNorm(xl, *bn, *comm), reference->forward(x).narrow(0, 4 * rank, 4));
    DIST_CHECK(evalDiff <= 1e-5, "eval mode output");
    char line[256];
    std::snprintf(line, sizeof(line),
                  "max relative error vs plain BN on batch 8: output %.2e, x grad %.2e, weight/bias grad %.2e, "
                  "running stats %.2e",
                  worstOut, worstX, worstW, worstStats);
    say(rank, line);
  });
  return allPassed(outcomes, "sync BN");
}

// conv -> sync BN -> ReLU -> pool -> fc, per-rank mean loss, GradSync:
// DDP's averaged grads must equal those of one process training on the global
// batch with plain BN and the global mean loss.
struct BnNet : torch::nn::Module {
  BnNet() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 6, 3).padding(1).bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(6));
    fc = register_module("fc", torch::nn::Linear(6, 4));
  }
  torch::Tensor forward(const torch::Tensor& x, Communicator* comm) {
    auto h = conv(x);
    h = comm ? syncBatchNorm(h, *bn, *comm) : bn(h);
    return fc(torch::adaptive_avg_pool2d(torch::relu(h), {1, 1}).flatten(1));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr};
};

bool testEndToEnd() {
  const int port = freePort();
  auto outcomes = runRanks({}, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port));
    torch::manual_seed(21);
    BnNet net;
    torch::manual_seed(21);
    BnNet reference;
    broadcastFromRoot(net, *comm);
    GradSync sync(net.parameters(), comm);
    torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    torch::optim::SGD optRef(reference.parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    double worst = 0;
    for (int step = 0; step < 3; ++step) {
      torch::manual_seed(300 + step);
      auto x = torch::randn({8, 3, 6, 6});
      auto y = torch::randint(0, 4, {8}, torch::kLong);
      optRef.zero_grad();
      torch::nn::functional::cross_entropy(reference.forward(x, nullptr), y).backward();

      broadcastBuffers(net, *comm);
      opt.zero_grad();
      sync.prepare();
      torch::nn::functional::cross_entropy(net.forward(x.narrow(0, 4 * rank, 4), comm.get()), y.narrow(0, 4 * rank, 4))
          .backward();
      sync.finish();
      auto params = net.parameters();
      auto expected = reference.parameters();
      for (size_t i = 0; i < params.size(); ++i) {
        const double r = maxRelDiff(params[i].grad(), expected[i].grad());
        worst = std::max(worst, r);
        DIST_CHECK(r <= 1e-5, "step " + std::to_string(step) + " grad " + std::to_string(i) + ": relative error " +
                                  std::to_string(r));
      }
      opt.step();
      optRef.step();
    }
    DIST_CHECK(maxRelDiff(net.bn->running_var, reference.bn->running_var) <= 1e-5, "running_var after 3 steps");
    say(rank, "max relative grad error vs one process on the global batch: " + sci(worst));
  });
  return allPassed(outcomes, "sync BN end to end");
}

}  // namespace

std::vector<TestCase> syncBatchNormTests() {
  return {
      {"sync BN: 2 ranks x 4 = plain BN on 8 (momentum 0.1), 3 steps", [] { return runSyncBnCheck(false); }},
      {"sync BN: cumulative average (momentum unset)", [] { return runSyncBnCheck(true); }},
      {"sync BN: conv+syncBN+fc with GradSync = one process on the global batch", testEndToEnd},
  };
}

}  // namespace senet::disttest
