// Training events: what the loop reports, and the run's metrics.jsonl (every
// event appended as one JSON line, then forwarded to the caller's sink).
#pragma once

#include <fstream>
#include <functional>
#include <string>
#include <utility>

#include "train/metrics.h"

namespace senet {

struct TrainEvent {
  std::string type;  // step | eval | checkpoint | skip | end
  int64_t iteration = 0;  // completed iterations
  int64_t epoch = 0;
  double loss = 0;
  double lr = 0;
  double imagesPerSecond = 0;
  EvalResult eval;
  std::string path;
};

// An event of `type` after `iteration` completed iterations in `epoch`; the caller fills the rest.
inline TrainEvent trainEvent(std::string type, int64_t iteration, int64_t epoch) {
  TrainEvent e;
  e.type = std::move(type);
  e.iteration = iteration;
  e.epoch = epoch;
  return e;
}

// The wire form (lib/native.ts TrainEvent), shared by the JS listener and metrics.jsonl: type, iteration,
// epoch, and the fields of that type. A non-finite loss stays a number here (NaN, Infinity in JS).
void to_json(WireJson& j, const TrainEvent& e);

using EventSink = std::function<void(const TrainEvent&)>;

class EventLog {
 public:
  // `path` "" keeps no file (no outDir, or not the writing process of a distributed run).
  EventLog(const std::string& path, EventSink sink);
  void operator()(const TrainEvent& e);

 private:
  EventSink sink_;
  std::ofstream file_;
};

}  // namespace senet
