// One long-lived thread runs all multi-threaded tensor work of the process.
//
// Why: libgomp counts every OpenMP worker thread alive in the process, and
// once that count exceeds the CPUs it stops spin-waiting between parallel
// regions (a futex sleep and wake at the end of every region). Each thread
// that ever runs a multi-threaded region keeps its own team of workers for its
// lifetime, so with work spread over libuv's pool threads (and model
// construction on the main thread) a process soon had several teams, and
// every op of every later step paid for it. Measured on 2 cores: resnet18
// batch-1 inference in a Python thread takes 27.4 ms while the main thread
// also owns a team and 21.5 ms when it does not (21.6 ms on the main thread);
// our predict/train ran 10–20% behind PyTorch eager for this reason alone.
// Keeping a single team — this thread's — avoids it. Other threads (the main
// thread, loader workers) run their ops single-threaded.
#pragma once

#include <functional>

namespace senet {

// Runs `work` on the compute thread with the configured intra-op thread count
// and returns when it is done, rethrowing its exception. Jobs run one at a
// time, in call order. Called from the compute thread itself, runs inline.
void runOnComputeThread(const std::function<void()>& work);

}  // namespace senet
