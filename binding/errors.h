// Turns any C++ exception into a message a JS user can act on. libtorch's
// c10::Error carries a C++ backtrace that means nothing to a JS caller, so
// only its message is kept.
#pragma once

#include <c10/util/Exception.h>

#include <exception>
#include <string>

namespace senet_binding {

template <typename Fn>
std::string catchMessage(Fn&& fn) {
  try {
    fn();
    return {};
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown native error";
  }
}

// The message of a job's stored exception (runtime/compute_thread.h); empty when there is none.
inline std::string messageOf(const std::exception_ptr& error) {
  if (!error) return {};
  return catchMessage([&] { std::rethrow_exception(error); });
}

}  // namespace senet_binding
