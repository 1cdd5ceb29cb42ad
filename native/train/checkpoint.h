// Training checkpoints: <outDir>/checkpoints/iter-NNNNNNNN/{model,optimizer}.safetensors
// + state.json, published by atomically replacing <outDir>/checkpoints/latest.
// A crash while writing leaves only a temporary directory behind; `latest`
// keeps naming the previous complete checkpoint.
#pragma once

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

#include <map>
#include <string>

#include "io/safetensors.h"

namespace senet {

struct Checkpoint {
  NamedTensors model;
  std::map<std::string, std::string> modelMetadata;
  NamedTensors optimizer;
  nlohmann::json state;  // iteration, epoch, seed, counters, options
};

// Writes the checkpoint for `iteration` and returns its directory. Keeps the
// newest `keep` checkpoints. On failure (a full disk, an unwritable directory)
// it removes what it wrote and throws naming the checkpoint still `latest`.
std::string writeCheckpoint(const std::string& outDir, int64_t iteration, const Checkpoint& checkpoint, int64_t keep);

// Reads the checkpoint that <outDir>/checkpoints/latest names; throws with a
// clear message when there is none or it is damaged.
Checkpoint readLatestCheckpoint(const std::string& outDir, std::string* directory = nullptr);

// What a resumed run must know before any tensor work, read from the latest checkpoint with the fuzzed parsers
// only (state.json, and the header of model.safetensors): lib/checkpoint.ts turns it into the run's settings
// and model. The wire form is lib/native.ts CheckpointSummary.
struct CheckpointSummary {
  std::string checkpoint;  // <outDir>/checkpoints/iter-NNNNNNNN
  int64_t iteration = 0;   // completed iterations
  int64_t worldSize = 1;   // processes that wrote it (options.distributed.worldSize)
  nlohmann::json options;  // the run's TrainOptions as state.json records them (null when absent)
  std::map<std::string, std::string> modelMetadata;  // model.safetensors' __metadata__ (the model options)
};
SENET_WIRE_FIELDS(CheckpointSummary, checkpoint, iteration, worldSize, options, modelMetadata)

CheckpointSummary readCheckpointSummary(const std::string& outDir);

// Removes temporary files and directories a killed writer left in
// <outDir>/checkpoints (called when a run resumes, i.e. its writer is gone).
void removeStaleTemporaries(const std::string& outDir);

// Writes text to `path` atomically (temp file, fsync, rename).
void writeFileAtomically(const std::string& path, const std::string& text);

// Creates a directory and its parents; throws on failure.
void makeDirectories(const std::string& path);

}  // namespace senet
