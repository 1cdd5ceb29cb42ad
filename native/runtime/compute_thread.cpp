#include "runtime/compute_thread.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <thread>

#include "runtime/runtime.h"

namespace senet {

namespace {

thread_local bool onComputeThread = false;
thread_local bool inLongJob = false;     // the compute thread's current top-level job is long
thread_local bool runningQueued = false;  // inside runQueuedShortJobs: no nesting

struct Job {
  std::function<void()> work;
  JobDone done;
  JobKind kind = JobKind::kShort;

  // Runs the job and hands its outcome to `done`; nothing escapes (the compute thread must survive any job).
  void operator()() {
    std::exception_ptr error;
    try {
      work();
    } catch (...) {
      error = std::current_exception();
    }
    if (!done) return;
    try {
      done(error);
    } catch (...) {
      // `done` only hands a result over; a failure there has nobody left to tell.
    }
  }
};

class ComputeThread {
 public:
  ComputeThread() : thread_([this] { loop(); }) { thread_.detach(); }

  void post(Job job, const std::function<void()>& onQueued) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // A short job waits at most one step of a running long job; a long job waits for all of it.
      const bool waits = runningLong_ && job.kind == JobKind::kLong;
      queue_.push_back(std::move(job));
      if (waits && onQueued) onQueued();  // before the job can start: its "queued" comes before its first event
    }
    ready_.notify_one();
  }

  std::size_t runQueuedShort() {
    // Only the jobs already waiting: a caller that queues its next call as soon as one returns (a predict
    // loop) would otherwise hold the long job at this boundary for as long as it keeps calling.
    std::size_t waiting;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      waiting = static_cast<std::size_t>(
          std::count_if(queue_.begin(), queue_.end(), [](const Job& job) { return job.kind == JobKind::kShort; }));
    }
    std::size_t ran = 0;
    while (ran < waiting) {
      Job job;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = queue_.begin();
        while (it != queue_.end() && it->kind != JobKind::kShort) ++it;
        if (it == queue_.end()) return ran;
        job = std::move(*it);
        queue_.erase(it);
      }
      job();
      ++ran;
    }
    return ran;
  }

 private:
  void loop() {
    onComputeThread = true;
    at::internal::lazy_init_num_threads();  // now, so a later first parallel op cannot reset the count
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
        runningLong_ = job.kind == JobKind::kLong;
      }
      applyThreads();  // setThreads() may have changed the count since the last job
      inLongJob = job.kind == JobKind::kLong;
      job();
      inLongJob = false;
      std::lock_guard<std::mutex> lock(mutex_);
      runningLong_ = false;
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> queue_;
  bool runningLong_ = false;
  std::thread thread_;
};

ComputeThread& computeThread() {
  // Leaked on purpose: the thread is detached and may still be parked in wait() at exit.
  static ComputeThread* const instance = new ComputeThread();
  return *instance;
}

}  // namespace

void postToComputeThread(std::function<void()> work, JobKind kind, JobDone done, const std::function<void()>& onQueued) {
  Job job{std::move(work), std::move(done), kind};
  if (onComputeThread) return job();
  computeThread().post(std::move(job), onQueued);
}

void runOnComputeThread(const std::function<void()>& work, JobKind kind, const std::function<void()>& onQueued) {
  if (onComputeThread) return work();
  std::promise<void> finished;
  auto outcome = finished.get_future();
  auto done = [&finished](std::exception_ptr error) {
    if (error) finished.set_exception(error);
    else finished.set_value();
  };
  computeThread().post(Job{work, done, kind}, onQueued);
  outcome.get();  // rethrows the job's exception here, on the caller's thread
}

std::size_t runQueuedShortJobs() {
  // Only a long job yields; a short job (an evaluate() call) runs to its end, and one yield does not nest.
  if (!onComputeThread || !inLongJob || runningQueued) return 0;
  runningQueued = true;
  struct Reset {
    ~Reset() { runningQueued = false; }
  } reset;
  return computeThread().runQueuedShort();
}

}  // namespace senet
