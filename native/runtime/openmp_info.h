// Which OpenMP runtime ATen's intra-op parallelism uses, and whether this
// library's per-thread thread counts (omp_set_num_threads, runtime.h) reach
// it. A pip torch wheel may carry its own libgomp under torch/lib; if this
// library bound to another copy, its thread counts would set a runtime that
// ATen never reads. runtimeInfo() and the GPU check print the answer.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

namespace senet {

struct OpenMpInfo {
  // ATen's parallel backend as libtorch reports it: "OpenMP", "native thread pool", "TBB", ...
  std::string atenBackend;
  // The file the OpenMP API resolves to for libtorch (ATen) and for this library; "" without OpenMP.
  std::string atenRuntime;
  std::string ownRuntime;
  // Every OpenMP runtime mapped into the process (libgomp, libiomp5, libomp): more than one is a warning sign.
  std::vector<std::string> loadedRuntimes;
  // omp_set_num_threads(n) on a fresh thread, then at::get_num_threads() == n on that thread.
  bool perThreadCountReachesATen = false;
};
// The wire form: lib/native.ts NativeRuntimeInfo.openmp.
SENET_WIRE_FIELDS(OpenMpInfo, atenBackend, atenRuntime, ownRuntime, loadedRuntimes, perThreadCountReachesATen)

// Measured once (on a short-lived thread that runs no parallel region) and cached.
const OpenMpInfo& openMpInfo();

}  // namespace senet
