#include "addon_data.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <set>

namespace senet_binding {

namespace {

// Every live environment's data, for the main thread's exit (close()).
std::mutex& registryMutex() {
  static auto* m = new std::mutex();  // leaked: used until the last environment ends, after static destructors
  return *m;
}
std::set<AddonData*>& registry() {
  static auto* r = new std::set<AddonData*>();
  return *r;
}

// Node runs the main environment on the process's first thread; Workers run on threads of their own.
bool onMainThread() { return syscall(SYS_gettid) == getpid(); }

}  // namespace

AddonData::AddonData() {
  std::lock_guard<std::mutex> lock(registryMutex());
  registry().insert(this);
}

AddonData::~AddonData() {
  std::lock_guard<std::mutex> lock(registryMutex());
  registry().erase(this);
}

void AddonData::addTraining(const std::shared_ptr<std::atomic<bool>>& stop) {
  std::lock_guard<std::mutex> lock(mutex_);
  trainings_.erase(std::remove_if(trainings_.begin(), trainings_.end(), [](const auto& w) { return w.expired(); }),
                   trainings_.end());
  trainings_.push_back(stop);
  if (jobs->closed()) stop->store(true);
}

void AddonData::close() {
  std::vector<std::shared_ptr<EnvJobs>> closed;
  if (onMainThread()) {
    std::lock_guard<std::mutex> lock(registryMutex());
    for (AddonData* data : registry()) closed.push_back(data->closeThis());
  } else {
    closed.push_back(closeThis());
  }
  // Outside the registry's lock: an ending Worker removes its own entry meanwhile.
  for (const auto& environmentJobs : closed) environmentJobs->waitForRunning();
}

std::shared_ptr<EnvJobs> AddonData::closeThis() {
  jobs->close();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& weak : trainings_) {
    if (auto stop = weak.lock()) stop->store(true);
  }
  return jobs;
}

}  // namespace senet_binding
