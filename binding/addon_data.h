// Per-environment state of the addon: the main thread and every worker_threads
// Worker that loads the addon get their own (Node frees it, after the
// environment's Model and Dataset objects, when the environment ends).
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "completions.h"
#include "env_jobs.h"

namespace senet_binding {

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference datasetConstructor;

  // This environment's way back from the compute thread (completions.h); set by Init.
  std::unique_ptr<Completions> completions;

  // Closed when this environment ends (process.exit() or a Worker's end, see close()): jobs queued from it
  // and not yet started are skipped, and its training runs stop at their next step boundary.
  std::shared_ptr<EnvJobs> jobs = std::make_shared<EnvJobs>();

  // Registers a training run's stop flag, so closing stops it too.
  void addTraining(const std::shared_ptr<std::atomic<bool>>& stop);
  // Closes this environment and stops its training runs, then waits for its jobs that are running (at most a
  // step of a run): what they read must outlive them, and exit() must not tear libtorch down under them. From
  // the main thread, does this for every environment: the process is ending, and Node terminates the Workers
  // without an 'exit' event in them.
  void close();

  AddonData();
  ~AddonData();
  AddonData(const AddonData&) = delete;
  AddonData& operator=(const AddonData&) = delete;

  static AddonData& From(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<std::atomic<bool>>> trainings_;  // expired once a run and its handle are gone
  std::shared_ptr<EnvJobs> closeThis();
};

}  // namespace senet_binding
