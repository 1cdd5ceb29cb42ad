// Per-environment state of the addon: the main thread and every worker_threads
// Worker that loads the addon get their own (Node frees it, after the
// environment's Model and Dataset objects, when the environment ends).
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace senet_binding {

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference datasetConstructor;

  // Set when this environment's process.exit() (or a Worker's) has begun: jobs queued from this environment and
  // not yet started are skipped, and its training runs stop at their next step boundary. Node finishes the
  // native work in flight before it exits (it joins its thread pool), so without this an exit would wait for
  // every queued predict and for whole training runs.
  std::shared_ptr<std::atomic<bool>> closing = std::make_shared<std::atomic<bool>>(false);

  // Registers a training run's stop flag, so closing stops it too.
  void addTraining(const std::shared_ptr<std::atomic<bool>>& stop);
  // Marks the environment closing and stops its training runs (the process 'exit' listener, addon.cc). From
  // the main thread, closes every environment: the process is ending, and Node terminates the Workers without
  // an 'exit' event in them before it waits for their native work.
  void close();

  AddonData();
  ~AddonData();
  AddonData(const AddonData&) = delete;
  AddonData& operator=(const AddonData&) = delete;

  static AddonData& From(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<std::atomic<bool>>> trainings_;  // expired once a run and its handle are gone
  void closeThis();
};

}  // namespace senet_binding
