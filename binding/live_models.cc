#include "live_models.h"

#include <atomic>

namespace senet_binding {

namespace {

std::atomic<int64_t> live{0};

}  // namespace

std::shared_ptr<senet::Model> trackModel(std::unique_ptr<senet::Model> model) {
  if (!model) return nullptr;
  live.fetch_add(1);
  return std::shared_ptr<senet::Model>(model.release(), [](senet::Model* m) {
    delete m;
    live.fetch_sub(1);
  });
}

int64_t liveModels() { return live.load(); }

}  // namespace senet_binding
