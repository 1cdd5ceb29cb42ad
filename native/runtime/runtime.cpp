#include "runtime/runtime.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <regex>
#include <stdexcept>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace senet {

namespace {

std::atomic<int>& configuredThreads() {
  static std::atomic<int> value{static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))};
  return value;
}

}  // namespace

void setThreads(int threads) {
  if (threads < 1) throw std::invalid_argument("threads must be >= 1, got " + std::to_string(threads));
  configuredThreads() = threads;
  at::set_num_threads(threads);
}

int threads() { return configuredThreads(); }

namespace {

void setCallingThreadThreads(int n) {
#ifdef _OPENMP
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
#else
  // Without OpenMP the count is global; only ever raise it from here, never race a rebuild per call.
  (void)n;
#endif
}

}  // namespace

void applyThreads() { setCallingThreadThreads(configuredThreads()); }

void useSingleThread() {
  // ATen sets a thread's OpenMP count to the global one at its first parallel
  // op; run that initialisation now so it cannot undo the 1 below later (and
  // start a second OpenMP team: see compute_thread.h).
  at::internal::lazy_init_num_threads();
  setCallingThreadThreads(1);
}

bool cudaAvailable() { return torch::cuda::is_available(); }

int cudaDeviceCount() { return cudaAvailable() ? static_cast<int>(torch::cuda::device_count()) : 0; }

std::string torchVersion() {
#ifdef TORCH_VERSION
  return TORCH_VERSION;
#else
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
#endif
}

torch::Device resolveDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "auto") return cudaAvailable() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  static const std::regex cudaPattern("cuda(?::([0-9]{1,3}))?");
  std::smatch match;
  if (!std::regex_match(name, match, cudaPattern)) {
    throw std::invalid_argument("unknown device '" + name + "'; valid: cpu, cuda, cuda:N, auto");
  }
  if (!cudaAvailable()) {
    throw std::invalid_argument("device '" + name + "' requested, but this libtorch (" + torchVersion() +
                                ") has no usable CUDA (CPU-only build or no visible GPU); use 'cpu' or 'auto', "
                                "or build against a CUDA libtorch with TORCH_DIR");
  }
  const int index = match[1].matched ? std::stoi(match[1].str()) : 0;
  if (index >= cudaDeviceCount()) {
    throw std::invalid_argument("device '" + name + "' requested, but only " + std::to_string(cudaDeviceCount()) +
                                " CUDA device(s) are visible");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace senet
