// Collectives and state broadcasts: values after all-reduce, broadcast,
// all-gather, metric sums; module and named-tensor broadcasts; the structure
// check that refuses mismatched models.

#include "dist_test_util.h"

#include "dist/module_sync.h"
#include "dist/process_group.h"
#include "dist/reduce.h"
#include "io/safetensors.h"  // its NamedTensors alias must be the same type as module_sync.h's

#include <torch/torch.h>

namespace senet::disttest {

namespace {

static_assert(std::is_same_v<NamedTensors, std::vector<std::pair<std::string, torch::Tensor>>>,
              "state dicts (io/safetensors.h) pass straight into the broadcasts");

bool testAllReduceBroadcast() {
  const int port = freePort();
  auto outcomes = runRanks({}, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port));
    DIST_CHECK(comm->backend() == "gloo", "backend " + comm->backend());
    say(rank, "connected; Gloo listens on " + comm->listenAddress());
    const double r = rank;

    // One contiguous float tensor: in place.
    auto a = torch::arange(10, torch::kFloat) * (r + 1);  // rank0: i, rank1: 2i -> 3i
    comm->allReduce({a}, "test all-reduce");
    expectClose(a, torch::arange(10, torch::kFloat) * 3, 0, 0, "all-reduce of one tensor");

    // Several tensors, one non-contiguous: travel as one buffer, copied back.
    auto b = torch::full({3, 4}, r + 1, torch::kFloat).t();  // transposed view: not contiguous
    auto c = torch::full({5}, 10 * (r + 1), torch::kFloat);
    auto pending = comm->allReduceAsync({b, c}, "test async all-reduce");
    DIST_CHECK(pending.pending(), "async handle is pending");
    pending.wait();
    pending.wait();  // harmless
    expectClose(b, torch::full({4, 3}, 3.0), 0, 0, "all-reduce of a non-contiguous tensor");
    expectClose(c, torch::full({5}, 30.0), 0, 0, "all-reduce of a tensor list");

    // MAX and MIN.
    auto m = torch::tensor({r, -r, 5 * r}, torch::kDouble);
    comm->allReduce({m}, "test max", ReduceKind::Max);
    expectClose(m, torch::tensor({1.0, 0.0, 5.0}, torch::kDouble), 0, 0, "max all-reduce");

    // Metric sums: float64 and int64 mixed, exact.
    auto loss = torch::tensor({0.25 + r, 1e15 + r}, torch::kDouble);
    auto counts = torch::tensor({int64_t(3 + rank), int64_t(1) << 40}, torch::kLong);
    auto confusion = torch::full({3, 3}, int64_t(rank + 1), torch::kLong);
    std::vector<at::Tensor> metrics{loss, counts, confusion};
    allReduceSum(*comm, metrics);
    DIST_CHECK(loss[0].item<double>() == 1.5 && loss[1].item<double>() == 2e15 + 1, "float64 metric sum");
    DIST_CHECK(counts[0].item<int64_t>() == 7 && counts[1].item<int64_t>() == (int64_t(1) << 41), "int64 metric sum");
    DIST_CHECK(confusion.sum().item<int64_t>() == 27, "confusion matrix sum");

    // Broadcast from rank 1, then from rank 0.
    auto x = torch::full({4}, r + 7, torch::kFloat);
    auto y = torch::full({2, 2}, r + 100, torch::kLong);
    auto w = torch::full({3, 2}, r - 7, torch::kFloat).t();  // non-contiguous, travels with x
    comm->broadcast({x, w}, 1, "test broadcast");
    comm->broadcast({y}, 1, "test broadcast");
    expectClose(x, torch::full({4}, 8.0), 0, 0, "broadcast from rank 1 (float)");
    expectClose(w, torch::full({2, 3}, -6.0), 0, 0, "broadcast from rank 1 (non-contiguous)");
    DIST_CHECK(y.sum().item<int64_t>() == 4 * 101, "broadcast from rank 1 (int64)");
    auto z = torch::full({6}, r, torch::kFloat);
    comm->broadcast({z}, 0, "test broadcast");
    DIST_CHECK(z.abs().sum().item<double>() == 0, "broadcast from rank 0");

    // All-gather in rank order, and a barrier.
    auto gathered = comm->allGather(torch::full({2}, r * 10, torch::kFloat), "test all-gather");
    DIST_CHECK(gathered.size() == 2 && gathered[0][0].item<float>() == 0 && gathered[1][1].item<float>() == 10,
               "all-gather order");
    comm->barrier("test barrier");
  });
  return allPassed(outcomes, "collectives");
}

struct TinyNet : torch::nn::Module {
  TinyNet() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    fc = register_module("fc", torch::nn::Linear(4, 2));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr};
};

bool testModuleBroadcasts() {
  const int port = freePort();
  auto outcomes = runRanks({}, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port));
    torch::manual_seed(100 + rank);  // different initial weights on purpose
    TinyNet net;
    {
      torch::NoGradGuard g;
      net.bn->running_mean.fill_(rank + 1);
      net.bn->num_batches_tracked.fill_(10 * rank + 3);
    }
    broadcastFromRoot(net, *comm);
    // Every rank now holds rank 0's values; rank 0 recomputes its own to compare.
    torch::manual_seed(100);
    TinyNet reference;
    for (const auto& item : reference.named_parameters())
      expectClose(net.named_parameters()[item.key()], item.value(), 0, 0, "parameter " + item.key());
    DIST_CHECK(net.bn->running_mean.eq(1).all().item<bool>(), "running_mean from rank 0");
    DIST_CHECK(net.bn->num_batches_tracked.item<int64_t>() == 3, "num_batches_tracked from rank 0");

    // broadcastBuffers: buffers only.
    {
      torch::NoGradGuard g;
      net.bn->running_var.fill_(rank == 0 ? 2.5 : -1.0);
      net.fc->bias.fill_(rank);  // a parameter: must stay local
    }
    broadcastBuffers(net, *comm);
    DIST_CHECK(net.bn->running_var.eq(2.5).all().item<bool>(), "running_var from rank 0");
    DIST_CHECK(net.fc->bias.eq(rank).all().item<bool>(), "broadcastBuffers left parameters alone");

    // Named tensors only rank 0 has (optimizer state on resume).
    NamedTensors state;
    if (rank == 0) {
      state.push_back({"fc.weight.momentum_buffer", torch::arange(8, torch::kFloat).view({2, 4})});
      state.push_back({"step", torch::tensor(int64_t(41))});
      state.push_back({"conv.weight.exp_avg", torch::ones({4, 3, 3, 3}, torch::kDouble)});
    }
    auto got = broadcastNamedTensors(*comm, state);
    DIST_CHECK(got.size() == 3, "three named tensors, got " + std::to_string(got.size()));
    DIST_CHECK(got[0].first == "fc.weight.momentum_buffer" && got[1].first == "step" && got[2].first == "conv.weight.exp_avg",
               "names in order");
    expectClose(got[0].second, torch::arange(8, torch::kFloat).view({2, 4}), 0, 0, "momentum buffer");
    DIST_CHECK(got[1].second.dim() == 0 && got[1].second.item<int64_t>() == 41, "0-d int64 step");
    DIST_CHECK(got[2].second.scalar_type() == torch::kDouble && got[2].second.sum().item<double>() == 108,
               "float64 tensor");

    // Different structures are refused on every rank, with a clear message.
    NamedTensors mismatched{{"w", torch::zeros({rank == 0 ? 3 : 4})}};
    bool refused = false;
    try {
      broadcastInPlace(*comm, mismatched, 0, "test broadcast of mismatched tensors");
    } catch (const std::runtime_error& error) {
      refused = std::string(error.what()).find("ranks hold different tensors") != std::string::npos;
      say(rank, std::string("as expected: ") + error.what());
    }
    DIST_CHECK(refused, "mismatched structures refused");
  });
  return allPassed(outcomes, "module broadcasts");
}

bool testSingleRank() {
  // worldSize 1: no store, no port; every collective is the identity.
  auto outcomes = runRanks({1, 30, nullptr, nullptr}, [&](int rank) {
    DistOptions o;  // defaults: rank 0 of 1
    auto comm = Communicator::connect(o);
    DIST_CHECK(comm->backend() == "local", "local backend");
    auto a = torch::arange(4, torch::kFloat);
    comm->allReduce({a}, "sum");
    comm->broadcast({a}, 0, "broadcast");
    comm->barrier("barrier");
    expectClose(a, torch::arange(4, torch::kFloat), 0, 0, "identity");
    DIST_CHECK(comm->allGather(a, "gather").size() == 1, "gather of one");
  });
  return allPassed(outcomes, "single rank");
}

bool testOptionValidation() {
  auto expectInvalid = [](DistOptions o, const std::string& needle) {
    try {
      validateDistOptions(o);
    } catch (const std::invalid_argument& error) {
      DIST_CHECK(std::string(error.what()).find(needle) != std::string::npos,
                 std::string("message names the field: ") + error.what());
      return;
    }
    DIST_CHECK(false, "invalid options accepted (" + needle + ")");
  };
  DistOptions o;
  o.worldSize = 2;
  o.rank = 2;
  expectInvalid(o, "rank = 2");
  o.rank = 0;
  o.backend = "mpi";
  expectInvalid(o, "backend");
  o.backend = "gloo";
  o.timeout = 0;
  expectInvalid(o, "timeout");
  o.timeout = 1;
  o.masterPort = 70000;
  expectInvalid(o, "masterPort");
  setenv("MASTER_ADDR", "10.1.2.3", 1);
  setenv("MASTER_PORT", "1234", 1);
  setenv("RANK", "3", 1);
  setenv("WORLD_SIZE", "4", 1);
  setenv("LOCAL_RANK", "1", 1);
  auto e = distOptionsFromEnvironment();
  DIST_CHECK(e.masterAddr == "10.1.2.3" && e.masterPort == 1234 && e.rank == 3 && e.worldSize == 4 && e.localRank == 1,
             "torchrun environment");
  setenv("RANK", "x", 1);
  bool refused = false;
  try {
    distOptionsFromEnvironment();
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  DIST_CHECK(refused, "RANK=x refused");
  for (const char* name : {"MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE", "LOCAL_RANK"}) unsetenv(name);
  return true;
}

}  // namespace

std::vector<TestCase> collectiveTests() {
  return {
      {"options: validation and torchrun environment", testOptionValidation},
      {"collectives: all-reduce, broadcast, all-gather, metric sums (2 ranks)", testAllReduceBroadcast},
      {"collectives: single rank is the identity", testSingleRank},
      {"state: broadcastFromRoot, broadcastBuffers, named tensors, mismatch refused", testModuleBroadcasts},
  };
}

}  // namespace senet::disttest
