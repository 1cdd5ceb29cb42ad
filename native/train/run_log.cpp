#include "train/run_log.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace senet {

namespace {

using json = nlohmann::json;

// metrics.jsonl: the wire form, a non-finite loss as text (JSON has no NaN), and the wall-clock time.
json logLine(const TrainEvent& e) {
  const WireJson wire = e;
  json j(wire);  // the file's keys sorted, as they always were
  if (j.contains("loss") && !std::isfinite(e.loss)) j["loss"] = std::to_string(e.loss);
  j["time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return j;
}

}  // namespace

void to_json(WireJson& j, const TrainEvent& e) {
  j = {{"type", e.type}, {"iteration", e.iteration}, {"epoch", e.epoch}};
  if (e.type == "step" || e.type == "skip") {
    j["loss"] = e.loss;
    j["lr"] = e.lr;
    if (e.type == "step") j["imagesPerSecond"] = e.imagesPerSecond;
  }
  if (e.type == "eval") j.update(evalMetricsJson(e.eval));
  if (!e.path.empty()) j["path"] = e.path;
}

EventLog::EventLog(const std::string& path, EventSink sink) : sink_(std::move(sink)) {
  if (path.empty()) return;
  file_.open(path, std::ios::app);
  if (!file_) throw std::runtime_error("cannot open metrics file '" + path + "'");
}

void EventLog::operator()(const TrainEvent& e) {
  if (file_.is_open()) {
    file_ << logLine(e).dump() << '\n';
    file_.flush();
  }
  sink_(e);
}

}  // namespace senet
