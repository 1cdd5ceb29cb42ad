#include "dist_test_util.h"

#include <ATen/ATen.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

namespace senet::disttest {

int freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error("freePort: cannot bind");
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

DistOptions rankOptions(int rank, int worldSize, int port, double timeoutSeconds) {
  DistOptions o;
  o.masterAddr = "127.0.0.1";
  o.masterPort = port;
  o.rank = rank;
  o.worldSize = worldSize;
  o.timeout = timeoutSeconds;
  o.backend = "gloo";
  return o;
}

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double secondsSince(double start) { return nowSeconds() - start; }

void say(int rank, const std::string& message) {
  std::printf("    [rank %d] %s\n", rank, message.c_str());
  std::fflush(stdout);
}

std::vector<RankOutcome> runRanks(const RankRun& run, const std::function<void(int rank)>& body) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<RankOutcome> outcomes(run.ranks);
  std::vector<pid_t> pids;
  for (int r = 0; r < run.ranks; ++r) {
    const pid_t pid = fork();
    if (pid == 0) {
      int code = 0;
      try {
        if (run.setup) run.setup(r);
        body(r);
      } catch (const std::exception& error) {
        say(r, std::string("FAILED: ") + error.what());
        code = 1;
      }
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(code);  // skip static destructors: this is a forked copy of the parent
    }
    outcomes[r].rank = r;
    outcomes[r].pid = pid;
    pids.push_back(pid);
  }
  if (run.whileRunning) run.whileRunning(pids);
  const double start = nowSeconds();
  int remaining = run.ranks;
  std::vector<bool> done(run.ranks, false);
  while (remaining > 0) {
    for (int r = 0; r < run.ranks; ++r) {
      if (done[r]) continue;
      int status = 0;
      const pid_t got = waitpid(outcomes[r].pid, &status, WNOHANG);
      if (got == outcomes[r].pid) {
        done[r] = true;
        --remaining;
        if (WIFEXITED(status)) outcomes[r].exitCode = WEXITSTATUS(status);
        else if (WIFSIGNALED(status)) outcomes[r].signal = WTERMSIG(status);
      }
    }
    if (remaining == 0) break;
    if (run.killOthersAfterRank >= 0 && done[run.killOthersAfterRank])
      for (int r = 0; r < run.ranks; ++r)
        if (!done[r]) kill(outcomes[r].pid, SIGKILL);
    if (secondsSince(start) > run.limitSeconds) {
      for (int r = 0; r < run.ranks; ++r) {
        if (done[r]) continue;
        outcomes[r].overran = true;
        kill(outcomes[r].pid, SIGKILL);
        int status = 0;
        waitpid(outcomes[r].pid, &status, 0);
        done[r] = true;
        say(r, "still running after the " + std::to_string(run.limitSeconds) + " s limit: killed (a hang)");
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return outcomes;
}

bool allPassed(const std::vector<RankOutcome>& outcomes, const std::string& test) {
  bool ok = true;
  for (const auto& o : outcomes) {
    if (o.overran || o.exitCode != 0) {
      ok = false;
      if (o.signal) say(o.rank, test + ": killed by signal " + std::to_string(o.signal));
    }
  }
  return ok;
}

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.detach().to(at::kDouble) - b.detach().to(at::kDouble)).abs().max().item<double>();
}

double maxRelDiff(const at::Tensor& actual, const at::Tensor& expected) {
  const double scale = std::max(expected.detach().to(at::kDouble).abs().max().item<double>(), 1e-30);
  return maxAbsDiff(actual, expected) / scale;
}

double closeness(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol) {
  const auto a = actual.detach().to(at::kDouble);
  const auto e = expected.detach().to(at::kDouble);
  // diff / tolerance, with a zero tolerance meaning exact: 0 when equal, huge otherwise.
  return ((a - e).abs() / (atol + rtol * e.abs()).clamp_min(1e-300)).max().item<double>();
}

void expectClose(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol,
                 const std::string& what) {
  DIST_CHECK(actual.sizes() == expected.sizes(),
             what + ": shape " + c10::str(actual.sizes()) + " != expected " + c10::str(expected.sizes()));
  const double c = closeness(actual, expected, rtol, atol);
  DIST_CHECK(c <= 1.0, what + ": not close (max abs diff " + std::to_string(maxAbsDiff(actual, expected)) +
                           ", max |diff|/(atol+rtol|expected|) = " + std::to_string(c) + ")");
}

}  // namespace senet::disttest
