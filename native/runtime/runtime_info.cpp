#include "runtime/runtime_info.h"

#include <ATen/detail/CUDAHooksInterface.h>

#include "runtime/allocator_tuning.h"
#include "runtime/runtime.h"

namespace senet {

namespace {

// libtorch_cuda registers the CUDA hooks at load; without it the default hooks throw.
std::string cudaBuild() {
  try {
    const long version = at::detail::getCUDAHooks().versionCUDART();
    return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

RuntimeInfo runtimeInfo() {
  RuntimeInfo info;
  info.torchVersion = torchVersion();
  info.cudaAvailable = cudaAvailable();
  info.cudaDeviceCount = cudaDeviceCount();
  info.cudaBuild = cudaBuild();
  info.threads = threads();
  info.allocator = tuneAllocator();
  info.tf32 = {tf32Convolutions(), tf32Matmuls()};
  info.openmp = openMpInfo();
  return info;
}

}  // namespace senet
