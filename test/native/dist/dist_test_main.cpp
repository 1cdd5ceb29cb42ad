// senet_dist_test: the native data-parallel layer (native/dist) checked with
// real processes — two ranks forked on loopback, talking through libtorch's
// c10d (TCPStore + ProcessGroupGloo).
//
//   senet_dist_test                 all checks (network namespaces skipped if they cannot be made)
//   senet_dist_test <name-part>...  checks whose name contains one of the words
//   senet_dist_test --list          names
//   senet_dist_test --timing [n]    all-reduce time for resnet18/resnet50-sized gradients (n repetitions, >= 20)

#include "dist_test_util.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace senet::disttest;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1 && std::strcmp(argv[1], "--timing") == 0) return runTiming(argc, argv);

  std::vector<TestCase> tests;
  for (auto group : {collectiveTests(), gradSyncTests(), syncBatchNormTests(), failureTests(), netnsTests()})
    for (auto& t : group) tests.push_back(t);
  if (argc > 1 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& t : tests) std::printf("%s\n", t.name.c_str());
    return 0;
  }
  std::vector<std::string> filters(argv + 1, argv + argc);
  int passed = 0, failed = 0;
  std::vector<std::string> failures;
  for (const auto& t : tests) {
    bool selected = filters.empty();
    for (const auto& f : filters) selected = selected || t.name.find(f) != std::string::npos;
    if (!selected) continue;
    std::printf("[ RUN  ] %s\n", t.name.c_str());
    const double start = nowSeconds();
    bool ok = false;
    try {
      ok = t.run();
    } catch (const std::exception& error) {
      std::printf("    error: %s\n", error.what());
    }
    std::printf("[ %s ] %s (%.1f s)\n", ok ? " OK " : "FAIL", t.name.c_str(), secondsSince(start));
    if (ok) ++passed;
    else {
      ++failed;
      failures.push_back(t.name);
    }
  }
  std::printf("\n%d passed, %d failed\n", passed, failed);
  for (const auto& name : failures) std::printf("  failed: %s\n", name.c_str());
  return failed == 0 && passed > 0 ? 0 : 1;
}
