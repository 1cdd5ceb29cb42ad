// DistOptions checks and torchrun's environment variables (declared in
// process_group.h): the same names torchrun, torch.distributed.launch and
// SLURM wrappers export, so a job starts the same way as a PyTorch one.

#include "dist/process_group.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace senet {

namespace {

void readInt(const char* name, int& target) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < INT32_MIN || value > INT32_MAX)
    throw std::invalid_argument(std::string("distributed: environment variable ") + name + "='" + text +
                                "' is not an integer");
  target = static_cast<int>(value);
}

}  // namespace

void validateDistOptions(const DistOptions& o) {
  auto bad = [](const std::string& field, const std::string& value, const std::string& valid) {
    return std::invalid_argument("distributed: " + field + " = " + value + " is invalid; " + valid);
  };
  if (o.worldSize < 1) throw bad("worldSize", std::to_string(o.worldSize), "it must be at least 1");
  if (o.rank < 0 || o.rank >= o.worldSize)
    throw bad("rank", std::to_string(o.rank), "it must be in 0.." + std::to_string(o.worldSize - 1) + " (worldSize " +
                                                  std::to_string(o.worldSize) + ")");
  if (o.localRank < 0) throw bad("localRank", std::to_string(o.localRank), "it must be 0 or more");
  if (o.masterPort < 1 || o.masterPort > 65535) throw bad("masterPort", std::to_string(o.masterPort), "it must be in 1..65535");
  if (!(o.timeout > 0) || o.timeout > 7 * 24 * 3600.0)
    throw bad("timeout", std::to_string(o.timeout), "it must be a positive number of seconds (up to a week)");
  if (o.backend != "auto" && o.backend != "gloo" && o.backend != "nccl")
    throw bad("backend", "'" + o.backend + "'", "valid: 'auto', 'gloo', 'nccl'");
  if (o.worldSize > 1 && o.masterAddr.empty())
    throw bad("masterAddr", "''", "it must name rank 0's host (an address or hostname)");
}

DistOptions distOptionsFromEnvironment(DistOptions base) {
  if (const char* addr = std::getenv("MASTER_ADDR"); addr != nullptr && *addr != '\0') base.masterAddr = addr;
  readInt("MASTER_PORT", base.masterPort);
  readInt("RANK", base.rank);
  readInt("WORLD_SIZE", base.worldSize);
  readInt("LOCAL_RANK", base.localRank);
  return base;
}

}  // namespace senet
