#pragma once

// Helpers for the distributed tests: ranks are forked child processes on
// loopback (or in network namespaces), each running one function; the parent
// only forks and waits, so no libtorch thread exists when it forks.

#include "dist/process_group.h"

#include <ATen/Tensor.h>

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace senet::disttest {

// A failed expectation inside a rank.
struct CheckFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define DIST_CHECK(condition, message)                                                                   \
  do {                                                                                                   \
    if (!(condition))                                                                                    \
      throw ::senet::disttest::CheckFailure(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                                            (message));                                                  \
  } while (0)

// A TCP port nobody listens on right now.
int freePort();

DistOptions rankOptions(int rank, int worldSize, int port, double timeoutSeconds = 30);

struct RankOutcome {
  int rank = 0;
  pid_t pid = 0;
  int exitCode = -1;       // 0: the body returned; 1: it threw; -1: killed by a signal
  int signal = 0;
  bool overran = false;    // still running at the limit, and killed
};

struct RankRun {
  int ranks = 2;
  double limitSeconds = 60;
  // Runs in the child before body (e.g. enter a network namespace).
  std::function<void(int rank)> setup;
  // Runs in the parent once all children are started.
  std::function<void(const std::vector<pid_t>& pids)> whileRunning;
  // When this rank has exited, kill the others (e.g. a peer that stopped itself).
  int killOthersAfterRank = -1;
};

// Forks run.ranks children running body(rank); waits for all of them, killing
// any still running after run.limitSeconds.
std::vector<RankOutcome> runRanks(const RankRun& run, const std::function<void(int rank)>& body);

// All children returned normally.
bool allPassed(const std::vector<RankOutcome>& outcomes, const std::string& test);

// Max |a-b| / (atol + rtol*|b|) over elements: <= 1 means close.
double closeness(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol);
double maxAbsDiff(const at::Tensor& a, const at::Tensor& b);
double maxRelDiff(const at::Tensor& actual, const at::Tensor& expected);  // max |a-b| / max(|b|, tiny)

void expectClose(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol,
                 const std::string& what);

// Prints "[rank r] message" to stdout, flushed.
void say(int rank, const std::string& message);

double secondsSince(double start);
double nowSeconds();

// A test: name, and a function that returns true when it passed (false or
// "skipped" when it could not run).
struct TestCase {
  std::string name;
  std::function<bool()> run;
};

std::vector<TestCase> collectiveTests();
std::vector<TestCase> gradSyncTests();
std::vector<TestCase> syncBatchNormTests();
std::vector<TestCase> failureTests();
std::vector<TestCase> netnsTests();
int runTiming(int argc, char** argv);

// torchvision's resnet{18,34,50,101,152} parameter shapes in named_parameters order.
std::vector<std::vector<int64_t>> resnetParameterShapes(int depth);

// A number in scientific notation for test output ("1.23e-07").
inline std::string sci(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2e", v);
  return text;
}

}  // namespace senet::disttest
