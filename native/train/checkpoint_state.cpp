#include "train/checkpoint_state.h"

#include <cstdint>
#include <stdexcept>

namespace senet {

namespace {

using json = nlohmann::json;

// state.json is written by the product, so a field of another type means a
// damaged or foreign file: say which field, what it holds and what is valid,
// rather than letting a JSON type error (or a float-to-int overflow) through.
[[noreturn]] void badField(const std::string& path, const std::string& field, const json& value, const std::string& valid) {
  std::string shown = value.dump();
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  throw std::invalid_argument("resume: '" + path + "' has " + field + " = " + shown + "; valid: " + valid +
                              " (a damaged state.json?)");
}

// A non-negative integer field; 0 when absent.
int64_t countField(const json& object, const char* key, const std::string& field, const std::string& path) {
  const auto found = object.find(key);
  if (found == object.end()) return 0;
  if (!found->is_number_integer() || (found->is_number_unsigned() && found->get<uint64_t>() > INT64_MAX) ||
      found->get<int64_t>() < 0) {
    badField(path, field, *found, "an integer >= 0");
  }
  return found->get<int64_t>();
}

double numberField(const json& object, const char* key, double fallback, const std::string& field, const std::string& path) {
  const auto found = object.find(key);
  if (found == object.end()) return fallback;
  if (!found->is_number()) badField(path, field, *found, "a number");
  return found->get<double>();
}

// The number of processes a run's options describe: distributed.worldSize, 1 when not distributed.
int64_t worldSizeOf(const json& options, const std::string& path) {
  const auto distributed = options.find("distributed");
  if (distributed == options.end() || !distributed->is_object()) return 1;
  const auto size = distributed->find("worldSize");
  if (size == distributed->end()) return 1;
  if (!size->is_number_integer() || (size->is_number_unsigned() && size->get<uint64_t>() > INT64_MAX) ||
      size->get<int64_t>() < 1) {
    badField(path, "options.distributed.worldSize", *size, "an integer >= 1");
  }
  return size->get<int64_t>();
}

std::string optimizerTypeOf(const json& options, const std::string& path) {
  const auto optimizer = options.find("optimizer");
  if (optimizer == options.end()) return "";
  if (!optimizer->is_object()) badField(path, "options.optimizer", *optimizer, "an object");
  const auto type = optimizer->find("type");
  if (type == optimizer->end()) return "";
  if (!type->is_string()) badField(path, "options.optimizer.type", *type, "a string");
  return type->get<std::string>();
}

}  // namespace

json parseCheckpointState(const std::string& text, const std::string& path) {
  json state = json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.is_object()) {
    throw std::invalid_argument("resume: '" + path + "' is not valid JSON");
  }
  return state;
}

SavedProgress readSavedProgress(const json& state, const std::string& path) {
  SavedProgress p;
  if (!state.is_object()) throw std::invalid_argument("resume: '" + path + "' is not a JSON object");
  p.iteration = countField(state, "iteration", "iteration", path);
  p.skippedBatches = countField(state, "skippedBatches", "skippedBatches", path);
  const auto best = state.find("best");
  if (best != state.end() && best->is_object()) {
    p.hasBest = true;
    p.bestTop1 = numberField(*best, "top1", -1.0, "best.top1", path);
    p.bestTop5 = numberField(*best, "top5", 0.0, "best.top5", path);
    p.bestLoss = numberField(*best, "loss", 0.0, "best.loss", path);
    p.bestIteration = countField(*best, "iteration", "best.iteration", path);
  }
  const auto options = state.find("options");
  if (options != state.end() && options->is_object()) {
    p.worldSize = worldSizeOf(*options, path);
    p.optimizerType = optimizerTypeOf(*options, path);
  }
  return p;
}

}  // namespace senet
