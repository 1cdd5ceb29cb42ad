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
//
// One thread must not mean one job for minutes: a training run is a long job
// that calls runQueuedShortJobs() between two steps, so a predict, evaluate,
// save or load queued meanwhile waits for at most one step. Long jobs (a
// second training run) stay queued until the running one ends.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>

namespace senet {

enum class JobKind {
  kShort,  // predict, evaluate, save, load, model construction: may run between two steps of a long job
  kLong,   // a training run: runs alone, in call order after the long jobs before it
};

// Called on the compute thread right after a posted job, with the exception it ended with (null when none).
using JobDone = std::function<void(std::exception_ptr)>;

// Queues `work` for the compute thread and returns at once: the caller's
// thread (the JS thread) never waits for tensor work. `done` runs on the
// compute thread after the job and must not throw; it is how the binding
// hands the result back. `onQueued` (optional) runs on the caller's thread
// before this returns, when the job has to wait for a running long job (a
// second training run); the queue is locked meanwhile, so it runs before the
// job can start and must not post. Called from the compute thread itself,
// runs the job and `done` inline.
void postToComputeThread(std::function<void()> work, JobKind kind, JobDone done,
                         const std::function<void()>& onQueued = nullptr);

// Runs `work` on the compute thread and returns when it is done, rethrowing
// its exception: for native callers that may block (tests, tools), never the
// JS thread. `onQueued` (optional) is called on the caller's thread, once,
// when the job has to wait for a running long job.
void runOnComputeThread(const std::function<void()>& work, JobKind kind = JobKind::kShort,
                        const std::function<void()>& onQueued = nullptr);

// For a long job, on the compute thread, at a point where the process may do
// other work (a step boundary): runs the short jobs queued meanwhile, in call
// order, and returns how many ran; jobs queued while these run wait for the
// next boundary, so a stream of calls cannot stall the long job. Their
// exceptions go to their callers. Off the compute thread it does nothing.
std::size_t runQueuedShortJobs();

}  // namespace senet
