// The check harness of senet_core_test: registered cases, checks that throw
// on failure with the file, line, and the actual against the expected value.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace senet::coretest {

struct CheckFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const char* file, int line, const std::string& message);

struct TestCase {
  std::string name;
  std::function<void()> run;
};
std::vector<TestCase>& registeredTests();
int addTest(const std::string& name, std::function<void()> run);

// Defines and registers a check: CORE_TEST(id, "what it shows") { ... }
#define CORE_TEST(id, name)                                                    \
  static void id();                                                            \
  [[maybe_unused]] static const int id##Registered = ::senet::coretest::addTest(name, id); \
  static void id()

#define CORE_CHECK(condition, what)                                  \
  do {                                                               \
    if (!(condition)) ::senet::coretest::fail(__FILE__, __LINE__, what); \
  } while (0)

// Doubles print with 17 significant digits, so an inexact value shows how far off it is.
template <typename T>
std::string shown(const T& value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}
inline std::string shown(const std::string& value) { return "'" + value + "'"; }
inline std::string shown(const char* value) { return shown(std::string(value)); }

template <typename A, typename B>
void checkEqual(const A& actual, const B& expected, const char* file, int line, const std::string& what) {
  if (!(actual == expected)) fail(file, line, what + ": got " + shown(actual) + ", expected " + shown(expected));
}
#define CORE_CHECK_EQ(actual, expected, what) ::senet::coretest::checkEqual((actual), (expected), __FILE__, __LINE__, what)

// |actual - expected| <= rtol * |expected|: for values whose last bits depend on libm (cos).
void checkNear(double actual, double expected, double rtol, const char* file, int line, const std::string& what);
#define CORE_CHECK_NEAR(actual, expected, rtol, what) \
  ::senet::coretest::checkNear((actual), (expected), (rtol), __FILE__, __LINE__, what)

// `body` must throw an exception of type E whose message is exactly `message`.
template <typename E>
void checkThrows(const std::function<void()>& body, const std::string& message, const char* file, int line) {
  try {
    body();
  } catch (const E& error) {
    if (error.what() != message) fail(file, line, "message: got " + shown(error.what()) + ", expected " + shown(message));
    return;
  } catch (const std::exception& other) {
    fail(file, line, "threw another exception type: " + shown(other.what()));
  }
  fail(file, line, "did not throw; expected " + shown(message));
}
#define CORE_CHECK_THROWS(type, statement, message) \
  ::senet::coretest::checkThrows<type>([&] { statement; }, (message), __FILE__, __LINE__)

// Same shapes, dtypes and bits (NaN equal to NaN), tensor by tensor.
void checkIdentical(const std::vector<torch::Tensor>& actual, const std::vector<torch::Tensor>& expected,
                    const char* file, int line, const std::string& what);
#define CORE_CHECK_IDENTICAL(actual, expected, what) \
  ::senet::coretest::checkIdentical((actual), (expected), __FILE__, __LINE__, what)

// A fresh directory under the system's temporary directory.
std::string tempDirectory(const std::string& prefix);

}  // namespace senet::coretest
