// Which of one environment's native jobs may still start, and which are running. An environment that ends
// (process.exit(), a Worker's terminate() or exit) closes it: its queued jobs are then skipped when the
// compute thread reaches them, and the JS thread waits for the ones already running before Node frees the
// memory they read (a predict's input buffer) and before exit() tears libtorch down under them.
#pragma once

#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace senet_binding {

class EnvJobs {
 public:
  // On the compute thread, around one job's work: refuses to start once the environment is closed.
  class Running {
   public:
    explicit Running(EnvJobs& jobs) : jobs_(jobs) {
      std::lock_guard<std::mutex> lock(jobs_.mutex_);
      if (jobs_.closed_) throw std::runtime_error("skipped: the process or worker is exiting");
      ++jobs_.running_;
    }
    ~Running() {
      {
        std::lock_guard<std::mutex> lock(jobs_.mutex_);
        --jobs_.running_;
      }
      jobs_.finished_.notify_all();
    }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

   private:
    EnvJobs& jobs_;
  };

  bool closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }

  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }

  // After close(): returns once no job of this environment runs, and none can start.
  void waitForRunning() {
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return running_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable finished_;
  bool closed_ = false;
  int running_ = 0;
};

}  // namespace senet_binding
