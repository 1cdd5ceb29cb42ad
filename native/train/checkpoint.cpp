#include "train/checkpoint.h"

#include <fcntl.h>
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
    if (!out) throw std::runtime_error("cannot write '" + temp + "'");
  }
  fsyncPath(temp, false);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot move '" + temp + "' to '" + path + "': " + std::strerror(err));
  }
  fsyncPath(fs::path(path).parent_path().string(), true);
}

std::string writeCheckpoint(const std::string& outDir, int64_t iteration, const Checkpoint& c, int64_t keep) {
  const fs::path root = fs::path(outDir) / "checkpoints";
  makeDirectories(root.string());
  const fs::path final = root / iterationName(iteration);
  const fs::path temp = root / (".tmp-" + iterationName(iteration) + "-" + std::to_string(::getpid()));
  fs::remove_all(temp);
  makeDirectories(temp.string());
  writeSafetensors((temp / "model.safetensors").string(), c.model, c.modelMetadata);
  writeSafetensors((temp / "optimizer.safetensors").string(), c.optimizer, {{"format", "senet-lab-optimizer"}});
  writeFileAtomically((temp / "state.json").string(), c.state.dump(2));
  fsyncPath(temp.string(), true);
  std::error_code error;
  fs::remove_all(final, error);  // a stale copy of the same iteration (not `latest`: that is updated below)
  fs::rename(temp, final, error);
  if (error) throw std::runtime_error("cannot publish checkpoint '" + final.string() + "': " + error.message());
  fsyncPath(root.string(), true);
  writeFileAtomically((root / "latest").string(), iterationName(iteration) + "\n");

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

Checkpoint readLatestCheckpoint(const std::string& outDir, std::string* directory) {
  const fs::path root = fs::path(outDir) / "checkpoints";
  const fs::path latest = root / "latest";
  if (!fs::exists(latest)) {
    throw std::invalid_argument("resume: no checkpoint in '" + outDir + "' (expected " + latest.string() + ")");
  }
  std::string name = readText(latest.string());
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  if (name.rfind("iter-", 0) != 0 || name.find('/') != std::string::npos) {
    throw std::invalid_argument("resume: '" + latest.string() + "' does not name a checkpoint");
  }
  const fs::path dir = root / name;
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
