// Two ranks in two network namespaces joined by a veth pair: no loopback in
// common, so Gloo must listen on the address that routes to the master (rank
// 0: chosen automatically) or on a named interface (rank 1: interface option).
// Skipped, with a message, where namespaces cannot be made (not root, no
// CAP_SYS_ADMIN, no `ip`).

#include "dist_test_util.h"

#include "dist/grad_sync.h"
#include "dist/process_group.h"

#include <torch/torch.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace senet::disttest {

namespace {

bool sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

bool testNetworkNamespaces() {
  const std::string tag = std::to_string(getpid() % 100000);
  const std::string ns[2] = {"senet-t0-" + tag, "senet-t1-" + tag};
  const std::string veth[2] = {"snt0-" + tag, "snt1-" + tag};
  const std::string addr[2] = {"10.213.7.1", "10.213.7.2"};
  auto cleanup = [&] {
    sh("ip netns del " + ns[0]);
    sh("ip netns del " + ns[1]);  // deleting a namespace removes its veth end, and so the pair
  };
  const bool made = sh("ip netns add " + ns[0]) && sh("ip netns add " + ns[1]) &&
                    sh("ip link add " + veth[0] + " type veth peer name " + veth[1]) &&
                    sh("ip link set " + veth[0] + " netns " + ns[0]) && sh("ip link set " + veth[1] + " netns " + ns[1]);
  bool configured = made;
  for (int r = 0; r < 2 && configured; ++r)
    configured = sh("ip -n " + ns[r] + " addr add " + addr[r] + "/24 dev " + veth[r]) &&
                 sh("ip -n " + ns[r] + " link set " + veth[r] + " up") && sh("ip -n " + ns[r] + " link set lo up");
  if (!configured) {
    cleanup();
    std::printf("    SKIPPED: cannot create network namespaces and a veth pair here (needs root and `ip`)\n");
    return true;
  }
  RankRun run;
  run.limitSeconds = 60;
  run.setup = [&](int rank) {
    const std::string path = "/var/run/netns/" + ns[rank];
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter " + path);
    close(fd);
  };
  const int port = 29611;  // fresh namespaces: any port is free
  auto outcomes = runRanks(run, [&](int rank) {
    torch::set_num_threads(1);
    DistOptions o = rankOptions(rank, 2, port, 20);
    o.masterAddr = addr[0];
    if (rank == 1) o.interface = veth[1];  // by interface name
    auto comm = Communicator::connect(o);
    say(rank, "in namespace " + ns[rank] + ", Gloo listens on " + comm->listenAddress());
    DIST_CHECK(comm->listenAddress() == (rank == 0 ? addr[0] : veth[1]), "listen address/interface");
    auto t = torch::full({1000}, rank + 1.0);
    comm->allReduce({t}, "all-reduce across namespaces");
    DIST_CHECK(t.eq(3).all().item<bool>(), "sum across namespaces");
    torch::manual_seed(4);
    torch::nn::Linear fc(32, 8);
    GradSync sync(fc->parameters(), comm);
    sync.prepare();
    torch::manual_seed(40 + rank);
    fc->forward(torch::randn({5, 32})).sum().backward();
    sync.finish();
    auto gathered = comm->allGather(fc->weight.grad(), "all-gather of averaged grads");
    DIST_CHECK(maxAbsDiff(gathered[0], gathered[1]) == 0, "identical averaged grads on both ranks");
  });
  cleanup();
  return allPassed(outcomes, "network namespaces");
}

}  // namespace

std::vector<TestCase> netnsTests() {
  return {{"netns: 2 ranks in 2 network namespaces over a veth pair", testNetworkNamespaces}};
}

}  // namespace senet::disttest
