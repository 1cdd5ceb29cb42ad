#include "train/run_log.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace senet {

namespace {

using json = nlohmann::json;

json evalJson(const EvalResult& e) {
  json perClass = json::array();
  for (double v : e.perClassAccuracy) perClass.push_back(std::isnan(v) ? json(nullptr) : json(v));
  return {{"top1", e.top1}, {"top5", e.top5}, {"loss", e.loss}, {"count", e.count}, {"perClassAccuracy", perClass}};
}

json eventJson(const TrainEvent& e) {
  json j = {{"type", e.type}, {"iteration", e.iteration}, {"epoch", e.epoch}};
  if (e.type == "step" || e.type == "skip") {
    j["loss"] = std::isfinite(e.loss) ? json(e.loss) : json(std::to_string(e.loss));
    j["lr"] = e.lr;
    if (e.type == "step") j["imagesPerSecond"] = e.imagesPerSecond;
  }
  if (e.type == "eval") j.update(evalJson(e.eval));
  if (!e.path.empty()) j["path"] = e.path;
  j["time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return j;
}

}  // namespace

EventLog::EventLog(const std::string& path, EventSink sink) : sink_(std::move(sink)) {
  if (path.empty()) return;
  file_.open(path, std::ios::app);
  if (!file_) throw std::runtime_error("cannot open metrics file '" + path + "'");
}

void EventLog::operator()(const TrainEvent& e) {
  if (file_.is_open()) {
    file_ << eventJson(e).dump() << '\n';
    file_.flush();
  }
  sink_(e);
}

}  // namespace senet
