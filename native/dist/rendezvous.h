#pragma once

// The rendezvous: rank 0 hosts a c10d::TCPStore (what torchrun and
// init_process_group use), every rank registers itself in it, and all ranks
// wait — at most options.timeout — until the whole world has joined.
// Waiting ourselves, rather than TCPStore's waitWorkers, lets the error say
// which ranks never arrived.

#include "dist/process_group.h"

#include <c10/util/intrusive_ptr.h>
#include <torch/csrc/distributed/c10d/Store.hpp>

namespace senet {

// Returns the connected store once all options.worldSize ranks have joined.
// Throws std::runtime_error ("distributed: rank R of W: rendezvous at A:P
// failed: ...") naming the missing ranks, a rank claimed twice, an unreachable
// master or a port that cannot be used.
c10::intrusive_ptr<c10d::Store> rendezvous(const DistOptions& options);

}  // namespace senet
