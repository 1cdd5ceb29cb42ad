// Failures become clear errors within the timeout, never hangs: a rank that
// never arrives, a master that never arrives, a rank claimed twice, a peer
// SIGKILLed in the middle of an all-reduce (raw and during GradSync), a peer
// that hangs (SIGSTOP). Timeout 3 s throughout; each error must arrive within
// the timeout plus a small allowance for process start-up.

#include "dist_test_util.h"

#include "dist/grad_sync.h"

#include <torch/torch.h>

#include <signal.h>
#include <cstdio>
#include <unistd.h>

namespace senet::disttest {

namespace {

constexpr double kTimeout = 3.0;
constexpr double kAllowance = 2.0;  // scheduling on a loaded 2-core machine

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs f, expecting a std::runtime_error containing every part; returns seconds taken.
double expectFailure(int rank, const std::function<void()>& f, const std::vector<std::string>& parts) {
  const double start = nowSeconds();
  try {
    f();
  } catch (const std::runtime_error& error) {
    const double took = secondsSince(start);
    const std::string message = error.what();
    say(rank, "error after " + std::to_string(took).substr(0, 4) + " s: " + message);
    for (const auto& part : parts) DIST_CHECK(contains(message, part), "the message names '" + part + "'");
    return took;
  }
  DIST_CHECK(false, "expected an error, got none");
  return 0;
}

bool testRankNeverArrives() {
  const int port = freePort();
  RankRun run;
  run.ranks = 1;  // only rank 0 of a world of 2 starts
  run.limitSeconds = kTimeout + 15;
  auto outcomes = runRanks(run, [&](int) {
    const double took = expectFailure(0, [&] { Communicator::connect(rankOptions(0, 2, port, kTimeout)); },
                                      {"rank 0 of 2", "rendezvous", "rank 1 did not arrive within 3 s"});
    DIST_CHECK(took >= kTimeout - 0.1 && took <= kTimeout + kAllowance, "error within the timeout");
  });
  return allPassed(outcomes, "rank never arrives");
}

bool testMasterNeverArrives() {
  const int port = freePort();
  RankRun run;
  run.ranks = 1;
  run.limitSeconds = kTimeout + 15;
  auto outcomes = runRanks(run, [&](int) {
    const double took = expectFailure(1, [&] { Communicator::connect(rankOptions(1, 2, port, kTimeout)); },
                                      {"rank 1 of 2", "could not reach the store hosted by rank 0"});
    DIST_CHECK(took <= kTimeout + kAllowance, "error within the timeout");
  });
  return allPassed(outcomes, "master never arrives");
}

bool testDuplicateRank() {
  const int port = freePort();
  // Which of the two claimants comes second is a race: the one that does
  // leaves a marker for the parent.
  const std::string marker = "/tmp/senet-dist-duplicate-" + std::to_string(getpid());
  unlink(marker.c_str());
  RankRun run;
  run.ranks = 3;
  run.limitSeconds = kTimeout + 15;
  auto outcomes = runRanks(run, [&](int child) {
    const int rank = child == 2 ? 1 : child;  // children 1 and 2 both claim rank 1 of 3
    try {
      Communicator::connect(rankOptions(rank, 3, port, kTimeout));
    } catch (const std::runtime_error& error) {
      say(child, error.what());
      if (contains(error.what(), "two processes claim rank 1")) {
        DIST_CHECK(child != 0, "rank 0 is not a duplicate");
        FILE* f = std::fopen(marker.c_str(), "w");
        if (f) std::fclose(f);
        return;
      }
      // The others see rank 2 missing (or, for rank 1, rank 0's store
      // closing when rank 0 gives up first).
      DIST_CHECK(contains(error.what(), "rank 2 did not arrive") || (child != 0 && contains(error.what(), "lost the store")),
                 "the missing rank is named");
      return;
    }
    DIST_CHECK(false, "a world with rank 1 twice must not connect");
  });
  const bool named = access(marker.c_str(), F_OK) == 0;
  unlink(marker.c_str());
  DIST_CHECK(named, "one claimant was told that rank 1 is claimed twice");
  return allPassed(outcomes, "duplicate rank");
}

bool testWorldSizeMismatch() {
  const int port = freePort();
  RankRun run;
  run.limitSeconds = kTimeout + 15;
  auto outcomes = runRanks(run, [&](int rank) {
    if (rank == 0) {
      // Rank 0 waits for a rank 1 that gives up: it reports rank 1 missing.
      expectFailure(0, [&] { Communicator::connect(rankOptions(0, 2, port, kTimeout)); }, {"rank 1 did not arrive"});
      return;
    }
    const double took = expectFailure(1, [&] { Communicator::connect(rankOptions(1, 3, port, kTimeout)); },
                                      {"rank 0 was started with world size 2, this rank with 3"});
    DIST_CHECK(took < kTimeout, "reported before the timeout");
  });
  return allPassed(outcomes, "world size mismatch");
}

// Rank 1 killed itself; rank 0 saw the failure and finished its checks in time.
bool survivedPeerKill(const std::vector<RankOutcome>& outcomes) {
  DIST_CHECK(outcomes[1].signal == SIGKILL, "rank 1 was killed");
  return outcomes[0].exitCode == 0 && !outcomes[0].overran;
}

bool testPeerKilledMidAllReduce() {
  const int port = freePort();
  RankRun run;
  run.limitSeconds = 40;
  auto outcomes = runRanks(run, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port, kTimeout));
    auto big = torch::ones({4 << 20});  // 16 MiB: the kill lands while data is moving
    if (rank == 1) {
      for (int i = 0; i < 3; ++i) comm->allReduce({big}, "all-reduce of gradients");
      auto pending = comm->allReduceAsync({big}, "all-reduce of gradients");
      usleep(2000);
      raise(SIGKILL);  // mid all-reduce
    }
    double lastSuccess = nowSeconds();
    const double took = expectFailure(
        0,
        [&] {
          for (int i = 0; i < 1000; ++i) {
            comm->allReduce({big}, "all-reduce of gradients");
            lastSuccess = nowSeconds();
          }
        },
        {"rank 0 of 2", "all-reduce of gradients failed"});
    (void)took;
    const double sinceLast = secondsSince(lastSuccess);
    DIST_CHECK(sinceLast <= kTimeout + kAllowance, "error within the timeout after the peer died");
    // The group is now out of step: further collectives are refused at once.
    const double refusedIn =
        expectFailure(0, [&] { comm->barrier("barrier after the failure"); }, {"refused", "first failure"});
    DIST_CHECK(refusedIn < 0.5, "refused immediately");
  });
  return survivedPeerKill(outcomes);
}

bool testPeerKilledDuringGradSync() {
  const int port = freePort();
  RankRun run;
  run.limitSeconds = 40;
  auto outcomes = runRanks(run, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port, kTimeout));
    torch::manual_seed(1);
    torch::nn::Sequential net(torch::nn::Linear(256, 256), torch::nn::Tanh(), torch::nn::Linear(256, 256),
                              torch::nn::Tanh(), torch::nn::Linear(256, 10));
    GradSyncOptions small;
    small.firstBucketBytes = 64 * 1024;
    small.bucketBytes = 128 * 1024;
    GradSync sync(net->parameters(), comm, small);
    auto x = torch::randn({32, 256});
    for (int step = 0; step < 100; ++step) {
      if (rank == 1 && step == 3) raise(SIGKILL);
      sync.prepare();
      net->forward(x).pow(2).mean().backward();
      if (step < 3) {
        sync.finish();
        continue;
      }
      const double took = expectFailure(0, [&] { sync.finish(); },
                                        {"rank 0 of 2", "all-reduce of gradients (bucket"});
      DIST_CHECK(took <= kTimeout + kAllowance, "finish() failed within the timeout");
      return;
    }
  });
  return survivedPeerKill(outcomes);
}

bool testPeerHangs() {
  const int port = freePort();
  RankRun run;
  run.limitSeconds = 40;
  run.killOthersAfterRank = 0;  // the stopped rank never exits by itself
  auto outcomes = runRanks(run, [&](int rank) {
    torch::set_num_threads(1);
    auto comm = Communicator::connect(rankOptions(rank, 2, port, kTimeout));
    auto t = torch::ones({1000});
    comm->allReduce({t}, "warm-up all-reduce");
    if (rank == 1) {
      raise(SIGSTOP);  // alive, connected, silent
      return;
    }
    const double took = expectFailure(0, [&] { comm->allReduce({t}, "all-reduce of metrics"); },
                                      {"rank 0 of 2", "all-reduce of metrics failed", "3 s timeout"});
    DIST_CHECK(took >= kTimeout - 0.1 && took <= kTimeout + kAllowance, "error at the timeout");
  });
  return outcomes[0].exitCode == 0 && !outcomes[0].overran;
}

}  // namespace

std::vector<TestCase> failureTests() {
  return {
      {"failure: rank 1 never arrives -> rank 0 names it within 3 s", testRankNeverArrives},
      {"failure: rank 0 never arrives -> rank 1 cannot reach the store within 3 s", testMasterNeverArrives},
      {"failure: two processes claim rank 1", testDuplicateRank},
      {"failure: ranks started with different world sizes", testWorldSizeMismatch},
      {"failure: peer SIGKILLed mid all-reduce -> clear error, then refusal", testPeerKilledMidAllReduce},
      {"failure: peer SIGKILLed before its backward -> GradSync::finish() throws", testPeerKilledDuringGradSync},
      {"failure: peer hangs (SIGSTOP) -> timeout error after 3 s", testPeerHangs},
  };
}

}  // namespace senet::disttest
