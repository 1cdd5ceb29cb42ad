#include "runtime/compute_thread.h"

#include <ATen/Parallel.h>

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

class ComputeThread {
 public:
  ComputeThread() : thread_([this] { loop(); }) { thread_.detach(); }

  void run(const std::function<void()>& work) {
    std::packaged_task<void()> task(work);
    auto done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
    }
    ready_.notify_one();
    done.get();  // rethrows the job's exception here, on the caller's thread
  }

 private:
  void loop() {
    onComputeThread = true;
    at::internal::lazy_init_num_threads();  // now, so a later first parallel op cannot reset the count
    for (;;) {
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      applyThreads();  // setThreads() may have changed the count since the last job
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> queue_;
  std::thread thread_;
};

}  // namespace

void runOnComputeThread(const std::function<void()>& work) {
  if (onComputeThread) return work();
  // Leaked on purpose: the thread is detached and may still be parked in wait() at exit.
  static ComputeThread* const computeThread = new ComputeThread();
  computeThread->run(work);
}

}  // namespace senet
