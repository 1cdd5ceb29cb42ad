// checkpoint_state (native/train/checkpoint_state.cpp), the reader of a
// checkpoint's state.json: a state.json written by the product's own
// checkpoint writer reads back every recorded value, and each kind of damaged
// file is refused with its exact message. (Which settings a resumed run may
// change is lib/options/resume.ts's rule, tested in the unit tier.)

#include "core_test.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "data/loader.h"
#include "model/model.h"
#include "train/checkpoint_state.h"
#include "train/optimizer.h"
#include "train/run_state.h"
#include "train/train_options.h"

namespace senet::coretest {

namespace {

using json = nlohmann::json;

const std::string kPath = "run/checkpoints/iter-00000006/state.json";

TrainOptions runOptions(const std::string& outDir) {
  TrainOptions o;
  o.iterations = 10;
  o.batchSize = 4;
  o.seed = 3;
  o.outDir = outDir;
  return o;
}

// A checkpoint written by saveRunCheckpoint, as train() writes it: its
// directory and state.json's text.
struct WrittenCheckpoint {
  std::string root, dir, text;
};

WrittenCheckpoint writeRealCheckpoint(void (*adjust)(TrainOptions&) = nullptr) {
  WrittenCheckpoint w;
  w.root = tempDirectory("senet-core-checkpoint");
  ModelOptions m;
  m.stem = "cifar";
  m.inChannels = 1;
  m.numClasses = 4;
  m.seed = 1;
  Model model(m);
  TrainOptions o = runOptions(w.root);
  if (adjust) adjust(o);
  Optimizer optimizer(optimizedParameters(*model.net(), o.optimizer), o.optimizer);
  LoaderOptions loader;
  loader.batchSize = o.batchSize;
  const BatchOrder order(16, loader);
  RunProgress progress;
  progress.iteration = 6;
  progress.skippedBatches = 1;
  progress.hasBest = true;
  progress.best.top1 = 50;
  progress.best.top5 = 100;
  progress.best.loss = 0.75;
  progress.bestIteration = 4;
  w.dir = saveRunCheckpoint(o, {model, optimizer, nullptr}, progress, order);
  std::ifstream in(std::filesystem::path(w.dir) / "state.json");
  std::stringstream text;
  text << in.rdbuf();
  w.text = text.str();
  return w;
}

// The message a damaged field gets.
std::string damaged(const std::string& path, const std::string& field, const std::string& value, const std::string& valid) {
  return "resume: '" + path + "' has " + field + " = " + value + "; valid: " + valid + " (a damaged state.json?)";
}

SavedProgress progressOf(const std::string& text) { return readSavedProgress(parseCheckpointState(text, kPath), kPath); }

}  // namespace

CORE_TEST(realStateAccepted, "checkpoint state: a state.json written by the checkpoint writer reads back every recorded value") {
  const auto w = writeRealCheckpoint();
  const std::string path = w.dir + "/state.json";
  const SavedProgress p = readSavedProgress(parseCheckpointState(w.text, path), path);
  std::filesystem::remove_all(w.root);
  CORE_CHECK_EQ(p.iteration, 6, "iteration");
  CORE_CHECK_EQ(p.skippedBatches, 1, "skippedBatches");
  CORE_CHECK(p.hasBest, "an evaluation is recorded");
  CORE_CHECK_EQ(p.bestTop1, 50.0, "best.top1");
  CORE_CHECK_EQ(p.bestTop5, 100.0, "best.top5");
  CORE_CHECK_EQ(p.bestLoss, 0.75, "best.loss");
  CORE_CHECK_EQ(p.bestIteration, 4, "best.iteration");
  CORE_CHECK_EQ(p.worldSize, 1, "one process when not distributed");
  CORE_CHECK_EQ(p.optimizerType, "sgd", "optimizer.type");
}

CORE_TEST(realRunShape, "checkpoint state: the process count and optimizer a run recorded read back from its state.json") {
  const auto w = writeRealCheckpoint([](TrainOptions& o) {
    o.distributed = DistributedOptions{};
    o.distributed->worldSize = 3;
    o.optimizer.type = "adamw";
  });
  const std::string path = w.dir + "/state.json";
  const SavedProgress p = readSavedProgress(parseCheckpointState(w.text, path), path);
  std::filesystem::remove_all(w.root);
  CORE_CHECK_EQ(p.worldSize, 3, "options.distributed.worldSize");
  CORE_CHECK_EQ(p.optimizerType, "adamw", "options.optimizer.type");
}

CORE_TEST(notAnObject, "checkpoint state: text that is not a JSON object is refused naming the file") {
  for (const char* text : {"", "{\"iteration\": 2", "[1, 2]", "\"state\"", "7", "{} trailing"}) {
    CORE_CHECK_THROWS(std::invalid_argument, parseCheckpointState(text, kPath), "resume: '" + kPath + "' is not valid JSON");
  }
  CORE_CHECK_THROWS(std::invalid_argument, readSavedProgress(json::array(), kPath), "resume: '" + kPath + "' is not a JSON object");
}

CORE_TEST(absentFields, "checkpoint state: absent progress fields take their defaults") {
  const SavedProgress p = progressOf("{}");
  CORE_CHECK_EQ(p.iteration, 0, "iteration");
  CORE_CHECK_EQ(p.skippedBatches, 0, "skippedBatches");
  CORE_CHECK(!p.hasBest, "no evaluation");
  CORE_CHECK_EQ(p.bestTop1, -1.0, "best.top1");
  CORE_CHECK_EQ(p.worldSize, 1, "worldSize");
  CORE_CHECK_EQ(p.optimizerType, "", "optimizer.type");
  const SavedProgress partial = progressOf(R"({"iteration": 3, "best": {"top1": 12.5}})");
  CORE_CHECK_EQ(partial.iteration, 3, "iteration");
  CORE_CHECK(partial.hasBest, "an evaluation");
  CORE_CHECK_EQ(partial.bestTop1, 12.5, "best.top1");
  CORE_CHECK_EQ(partial.bestTop5, 0.0, "best.top5");
  CORE_CHECK_EQ(partial.bestIteration, 0, "best.iteration");
}

CORE_TEST(damagedCounts, "checkpoint state: a count that is not an integer >= 0 in int64 is refused with the field and its value") {
  const std::string valid = "an integer >= 0";
  const std::pair<const char*, std::pair<const char*, const char*>> cases[] = {
      {R"({"iteration": "two"})", {"iteration", "\"two\""}},
      {R"({"iteration": -3})", {"iteration", "-3"}},
      {R"({"iteration": 2.5})", {"iteration", "2.5"}},
      {R"({"iteration": 1e20})", {"iteration", "1e+20"}},
      {R"({"iteration": 18446744073709551615})", {"iteration", "18446744073709551615"}},
      {R"({"iteration": null})", {"iteration", "null"}},
      {R"({"skippedBatches": -1})", {"skippedBatches", "-1"}},
      {R"({"best": {"iteration": 2.1844674407370955e20}})", {"best.iteration", "2.1844674407370955e+20"}},
      {R"({"best": {"iteration": [2]}})", {"best.iteration", "[2]"}},
  };
  for (const auto& c : cases) {
    CORE_CHECK_THROWS(std::invalid_argument, progressOf(c.first), damaged(kPath, c.second.first, c.second.second, valid));
  }
  // The largest int64 is still a count.
  CORE_CHECK_EQ(progressOf(R"({"iteration": 9223372036854775807})").iteration, INT64_MAX, "iteration = INT64_MAX");
}

CORE_TEST(damagedMetrics, "checkpoint state: a best metric that is not a number is refused with the field and its value") {
  CORE_CHECK_THROWS(std::invalid_argument, progressOf(R"({"best": {"top1": "x"}})"), damaged(kPath, "best.top1", "\"x\"", "a number"));
  CORE_CHECK_THROWS(std::invalid_argument, progressOf(R"({"best": {"top5": null}})"), damaged(kPath, "best.top5", "null", "a number"));
  CORE_CHECK_THROWS(std::invalid_argument, progressOf(R"({"best": {"loss": true}})"), damaged(kPath, "best.loss", "true", "a number"));
}

CORE_TEST(longValueShortened, "checkpoint state: a long damaged value is shown by its first 37 characters") {
  const std::string value(60, 'a');
  CORE_CHECK_THROWS(std::invalid_argument, progressOf("{\"iteration\": \"" + value + "\"}"),
                    damaged(kPath, "iteration", "\"" + std::string(36, 'a') + "...", "an integer >= 0"));
}

CORE_TEST(damagedOptions, "checkpoint state: recorded options of the wrong type are refused with the field and what is valid") {
  CORE_CHECK_THROWS(std::invalid_argument, progressOf(R"({"options": {"optimizer": "sgd"}})"),
                    damaged(kPath, "options.optimizer", "\"sgd\"", "an object"));
  CORE_CHECK_THROWS(std::invalid_argument, progressOf(R"({"options": {"optimizer": {"type": 7}}})"),
                    damaged(kPath, "options.optimizer.type", "7", "a string"));
  for (const char* size : {"1e300", "\"2\"", "0", "-1", "1.5", "18446744073709551615"}) {
    const std::string text = std::string(R"({"options": {"distributed": {"worldSize": )") + size + "}}}";
    CORE_CHECK_THROWS(std::invalid_argument, progressOf(text),
                      damaged(kPath, "options.distributed.worldSize", json::parse(size).dump(), "an integer >= 1"));
  }
  // Options, or their distributed part, of another type than an object describe no run shape.
  for (const char* text : {R"({"options": 5})", R"({"options": null})", R"({"options": {"distributed": null}})",
                           R"({"options": {"distributed": "yes"}})", R"({"options": {"optimizer": {}}})"}) {
    const SavedProgress p = progressOf(text);
    CORE_CHECK_EQ(p.worldSize, 1, std::string("worldSize of ") + text);
    CORE_CHECK_EQ(p.optimizerType, "", std::string("optimizer.type of ") + text);
  }
}

}  // namespace senet::coretest
