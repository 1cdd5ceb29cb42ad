// senet_core_test: native/train's step strategies, learning-rate schedules and
// checkpoint state.json reader, checked in one process without Node.
//
//   senet_core_test                 every check; exit status 0 when all pass
//   senet_core_test <name-part>...  checks whose name contains one of the words
//   senet_core_test --list          names

#include "core_test.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace senet::coretest {

void fail(const char* file, int line, const std::string& message) {
  throw CheckFailure(std::filesystem::path(file).filename().string() + ":" + std::to_string(line) + ": " + message);
}

std::vector<TestCase>& registeredTests() {
  static std::vector<TestCase> tests;
  return tests;
}

int addTest(const std::string& name, std::function<void()> run) {
  registeredTests().push_back({name, std::move(run)});
  return 0;
}

void checkNear(double actual, double expected, double rtol, const char* file, int line, const std::string& what) {
  if (!(std::abs(actual - expected) <= rtol * std::abs(expected))) {
    fail(file, line, what + ": got " + shown(actual) + ", expected " + shown(expected) + " (relative tolerance " + shown(rtol) + ")");
  }
}

void checkIdentical(const std::vector<torch::Tensor>& actual, const std::vector<torch::Tensor>& expected, const char* file,
                    int line, const std::string& what) {
  if (actual.size() != expected.size()) {
    fail(file, line, what + ": " + std::to_string(actual.size()) + " tensors, expected " + std::to_string(expected.size()));
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    const auto& a = actual[i];
    const auto& b = expected[i];
    if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type()) {
      fail(file, line, what + ": tensor " + std::to_string(i) + " has another shape or dtype");
    }
    const bool same = a.is_floating_point() ? ((a == b) | (a.isnan() & b.isnan())).all().item<bool>() : torch::equal(a, b);
    if (!same) {
      const double diff = (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().nan_to_num(INFINITY).max().item<double>();
      fail(file, line, what + ": tensor " + std::to_string(i) + " differs (max |difference| " + shown(diff) + ")");
    }
  }
}

std::string tempDirectory(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory from " + pattern);
  return pattern;
}

}  // namespace senet::coretest

using namespace senet::coretest;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // One thread: the results compared bit for bit come from one accumulation
  // order, and the machine's other cores stay free.
  torch::set_num_threads(1);
  const auto& tests = registeredTests();
  if (argc > 1 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& t : tests) std::printf("%s\n", t.name.c_str());
    return 0;
  }
  std::vector<std::string> filters(argv + 1, argv + argc);
  int passed = 0, failed = 0;
  for (const auto& t : tests) {
    bool selected = filters.empty();
    for (const auto& f : filters) selected = selected || t.name.find(f) != std::string::npos;
    if (!selected) continue;
    std::printf("[ RUN  ] %s\n", t.name.c_str());
    bool ok = false;
    try {
      t.run();
      ok = true;
    } catch (const std::exception& error) {
      std::printf("    %s\n", error.what());
    }
    std::printf("[ %s ] %s\n", ok ? " OK " : "FAIL", t.name.c_str());
    ++(ok ? passed : failed);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
