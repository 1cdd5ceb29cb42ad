#include "dist/dist_error.h"

#include <c10/util/Exception.h>

#include <cstdio>
#include <regex>

namespace senet {

namespace {

bool contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

std::string formatSeconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", seconds);
  return buffer;
}

}  // namespace

std::string distFailureCause(const std::exception& error) {
  std::string cause;
  if (const auto* c10Error = dynamic_cast<const c10::Error*>(&error)) cause = c10Error->what_without_backtrace();
  else cause = error.what();
  // c10 appends "Exception raised from <function> at <file>:<line> ..." on a
  // new line; the first line is what the user needs.
  const auto newline = cause.find('\n');
  if (newline != std::string::npos) cause.resize(newline);
  // Gloo prefixes its messages with "[/path/to/pair.cc:598] ".
  static const std::regex location(R"(^\s*\[[^\]\s]+:[0-9]+\]\s*)");
  cause = std::regex_replace(cause, location, "");
  while (!cause.empty() && (cause.back() == ' ' || cause.back() == '\r' || cause.back() == '.')) cause.pop_back();
  return cause.empty() ? std::string("unknown error") : cause;
}

std::string distFailureHint(const std::string& cause, double timeoutSeconds) {
  if (contains(cause, "closed by peer") || contains(cause, "Connection reset") || contains(cause, "reset by peer") ||
      contains(cause, "Broken pipe") || contains(cause, "EPIPE") || contains(cause, "ECONNRESET"))
    return "a peer process exited or lost its connection";
  if (contains(cause, "Connection refused") || contains(cause, "ECONNREFUSED"))
    return "nothing listens there: the peer has not started or has already exited";
  if (contains(cause, "imed out") || contains(cause, "imeout") || contains(cause, "ETIMEDOUT"))
    return "no answer within the " + formatSeconds(timeoutSeconds) +
           " s timeout: a peer hung, is far behind, or runs its collectives in a different order";
  if (contains(cause, "No route to host") || contains(cause, "Network is unreachable"))
    return "the address is not reachable from this host: check the master address and the network interface";
  return "";
}

std::string distFailureMessage(int rank, int worldSize, const std::string& what, const std::string& cause,
                               double timeoutSeconds, bool withHint) {
  std::string message = "distributed: rank " + std::to_string(rank) + " of " + std::to_string(worldSize) + ": " + what +
                        " failed: " + cause;
  const std::string hint = withHint ? distFailureHint(cause, timeoutSeconds) : std::string();
  if (!hint.empty()) message += " (" + hint + ")";
  return message;
}

}  // namespace senet
