#pragma once

// Turning c10d / Gloo / NCCL failures into errors a user can act on.
//
// A collective fails on one rank because of something that happened on
// another one (it exited, hung, or called collectives in a different order),
// and the raw messages say neither which rank reported it nor what it was
// doing. Every distributed error therefore reads
//   distributed: rank R of W: <operation> failed: <cause> (<hint>)

#include <exception>
#include <stdexcept>
#include <string>

namespace senet {

// The cause of a caught exception in one line: c10::Error without its C++
// backtrace, Gloo's "[file.cc:123] " location prefix dropped.
std::string distFailureCause(const std::exception& error);

// What the cause usually means for a user ("a peer process exited or lost its
// connection", "no answer within the 300 s timeout ..."); empty if unknown.
std::string distFailureHint(const std::string& cause, double timeoutSeconds);

// The full message: "distributed: rank R of W: <what> failed: <cause> (<hint>)".
// withHint false: the caller's cause already explains itself.
std::string distFailureMessage(int rank, int worldSize, const std::string& what, const std::string& cause,
                               double timeoutSeconds, bool withHint = true);

}  // namespace senet
