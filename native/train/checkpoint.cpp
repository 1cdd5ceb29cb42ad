#include "train/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (GNU)
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "train/checkpoint_state.h"

namespace senet {

namespace fs = std::filesystem;

namespace {

void fsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string iterationName(int64_t iteration) {
  char name[32];
  std::snprintf(name, sizeof(name), "iter-%08lld", static_cast<long long>(iteration));
  return name;
}

// The checkpoint `latest` names now ("" when there is none or it cannot be read).
std::string latestName(const fs::path& root) {
  std::ifstream in(root / "latest");
  std::string name;
  if (!in || !std::getline(in, name)) return "";
  return name;
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

void makeDirectories(const std::string& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) throw std::runtime_error("cannot create directory '" + path + "': " + error.message());
}

void writeFileAtomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write '" + temp + "': " + std::strerror(errno));
    out << text;
    out.flush();
    if (!out) {
      const int err = errno;
      out.close();
      ::unlink(temp.c_str());  // a partial file must not hold on to a full disk
      throw std::runtime_error("cannot write '" + temp + "': " + std::strerror(err));
    }
  }
  fsyncPath(temp, false);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot move '" + temp + "' to '" + path + "': " + std::strerror(err));
  }
  fsyncPath(fs::path(path).parent_path().string(), true);
}

void removeStaleTemporaries(const std::string& outDir) {
  const fs::path root = fs::path(outDir) / "checkpoints";
  std::error_code error;
  if (!fs::is_directory(root, error)) return;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(".tmp-", 0) == 0 || name.find(".tmp-") != std::string::npos) fs::remove_all(entry.path(), error);
  }
}

std::string writeCheckpoint(const std::string& outDir, int64_t iteration, const Checkpoint& c, int64_t keep) {
  const fs::path root = fs::path(outDir) / "checkpoints";
  const fs::path final = root / iterationName(iteration);
  const fs::path temp = root / (".tmp-" + iterationName(iteration) + "-" + std::to_string(::getpid()));
  const std::string previous = latestName(root);
  const auto failed = [&](const std::string& what) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);  // frees the space a partial checkpoint took
    return std::runtime_error("cannot write checkpoint " + iterationName(iteration) + " in '" + root.string() + "': " + what +
                              (previous.empty() ? std::string("; no earlier checkpoint exists")
                                                : "; the previous checkpoint " + previous + " is intact and still latest"));
  };
  // 1. Everything into a temporary directory, each file synced.
  try {
    makeDirectories(root.string());
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    makeDirectories(temp.string());
    writeSafetensors((temp / "model.safetensors").string(), c.model, c.modelMetadata);
    writeSafetensors((temp / "optimizer.safetensors").string(), c.optimizer, {{"format", "senet-lab-optimizer"}});
    writeFileAtomically((temp / "state.json").string(), c.state.dump(2));
    fsyncPath(temp.string(), true);
  } catch (const std::exception& e) {
    throw failed(e.what());
  }
  // 2. The directory under its final name. A directory of the same iteration
  // is swapped atomically (it may be the one `latest` names, e.g. when a run
  // resumed at its last iteration checkpoints again), so a crash never leaves
  // `latest` naming nothing.
  if (fs::exists(final)) {
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, final.c_str(), RENAME_EXCHANGE) != 0) {
      const int err = errno;
      if (err != EINVAL && err != ENOSYS) throw failed("cannot publish it: " + std::string(std::strerror(err)));
      // A file system without RENAME_EXCHANGE: `latest` is rewritten below, so only a crash in this short
      // window can leave it naming a missing directory; the reader then says so.
      std::error_code error;
      fs::remove_all(final, error);
      fs::rename(temp, final, error);
      if (error) throw failed("cannot publish it: " + error.message());
    } else {
      std::error_code ignored;
      fs::remove_all(temp, ignored);  // now the replaced copy
    }
  } else {
    std::error_code error;
    fs::rename(temp, final, error);
    if (error) throw failed("cannot publish it: " + error.message());
  }
  fsyncPath(root.string(), true);
  // 3. The commit point: `latest` names the new checkpoint.
  try {
    writeFileAtomically((root / "latest").string(), iterationName(iteration) + "\n");
  } catch (const std::exception& e) {
    throw failed(std::string("cannot update 'latest': ") + e.what());
  }

  std::error_code error;
  std::vector<fs::path> existing;
  for (const auto& entry : fs::directory_iterator(root)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("iter-", 0) == 0) existing.push_back(entry.path());
  }
  std::sort(existing.begin(), existing.end());
  for (size_t i = 0; i + static_cast<size_t>(std::max<int64_t>(keep, 1)) < existing.size(); ++i) {
    if (existing[i] != final) fs::remove_all(existing[i], error);
  }
  return final.string();
}

namespace {

// The directory <outDir>/checkpoints/latest names; every reason there is none is a message naming the path.
fs::path latestCheckpointDir(const std::string& outDir) {
  const fs::path root = fs::path(outDir) / "checkpoints";
  const fs::path latest = root / "latest";
  if (!fs::exists(latest)) {
    const std::string why = !fs::exists(outDir)         ? "the directory does not exist"
                            : !fs::is_directory(outDir) ? "it is not a directory"
                                                        : "expected " + latest.string();
    throw std::invalid_argument("resume: no checkpoint in '" + outDir + "' (" + why + ")");
  }
  std::string name = readText(latest.string());
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  const bool digits = name.size() > 5 && name.find_first_not_of("0123456789", 5) == std::string::npos;
  if (name.rfind("iter-", 0) != 0 || !digits) {
    nlohmann::json shown = name.substr(0, 40);
    throw std::invalid_argument("resume: '" + latest.string() + "' does not name a checkpoint (it holds " +
                                shown.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ")");
  }
  const fs::path dir = root / name;
  if (!fs::is_directory(dir)) {
    throw std::invalid_argument("resume: '" + latest.string() + "' names " + name + ", which is missing from " + root.string());
  }
  return dir;
}

}  // namespace

CheckpointSummary readCheckpointSummary(const std::string& outDir) {
  const fs::path dir = latestCheckpointDir(outDir);
  const std::string statePath = (dir / "state.json").string();
  const nlohmann::json state = parseCheckpointState(readText(statePath), statePath);
  CheckpointSummary summary;
  summary.checkpoint = dir.string();
  const SavedProgress progress = readSavedProgress(state, statePath);
  summary.iteration = progress.iteration;
  summary.worldSize = progress.worldSize;
  summary.options = state.contains("options") ? state["options"] : nlohmann::json(nullptr);
  summary.modelMetadata = readSafetensorsHeader((dir / "model.safetensors").string()).metadata;
  return summary;
}

Checkpoint readLatestCheckpoint(const std::string& outDir, std::string* directory) {
  const fs::path dir = latestCheckpointDir(outDir);
  Checkpoint c;
  SafetensorsFile model = readSafetensors((dir / "model.safetensors").string());
  c.model = std::move(model.tensors);
  c.modelMetadata = std::move(model.metadata);
  c.optimizer = readSafetensors((dir / "optimizer.safetensors").string()).tensors;
  c.state = parseCheckpointState(readText((dir / "state.json").string()), (dir / "state.json").string());
  if (directory) *directory = dir.string();
  return c;
}

}  // namespace senet
