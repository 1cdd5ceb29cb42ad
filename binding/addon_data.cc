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
  if (closing->load()) stop->store(true);
}

void AddonData::close() {
  if (!onMainThread()) return closeThis();
  std::lock_guard<std::mutex> lock(registryMutex());
  for (AddonData* data : registry()) data->closeThis();
}

void AddonData::closeThis() {
  closing->store(true);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& weak : trainings_) {
    if (auto stop = weak.lock()) stop->store(true);
  }
}

}  // namespace senet_binding
