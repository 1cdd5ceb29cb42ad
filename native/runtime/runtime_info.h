// What runtimeInfo() reports: the linked libtorch, CUDA, threads, malloc tuning, TF32 and OpenMP.
#pragma once

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

#include <string>

#include "runtime/openmp_info.h"

namespace senet {

struct Tf32Settings {
  bool convolutions = false;
  bool matmuls = false;
};

struct RuntimeInfo {
  std::string torchVersion;
  bool cudaAvailable = false;
  int cudaDeviceCount = 0;
  // The CUDA runtime release the linked libtorch was built with ("13.0"), "" for a CPU-only libtorch:
  // a CUDA build reports it also where no GPU is visible.
  std::string cudaBuild;
  int threads = 0;
  std::string allocator;
  Tf32Settings tf32;
  OpenMpInfo openmp;
};

RuntimeInfo runtimeInfo();

// The wire form: lib/native.ts NativeRuntimeInfo.
SENET_WIRE_FIELDS(Tf32Settings, convolutions, matmuls)
SENET_WIRE_FIELDS(RuntimeInfo, torchVersion, cudaAvailable, cudaDeviceCount, cudaBuild, threads, allocator,
                                   tf32, openmp)

}  // namespace senet
