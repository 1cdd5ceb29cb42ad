#include "runtime/openmp_info.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <regex>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace senet {

namespace {

std::string fileOf(const void* address) {
  Dl_info info{};
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
}

// "ATen parallel backend: OpenMP" in at::get_parallel_info()'s report.
std::string atenBackend() {
  static const std::regex pattern("ATen parallel backend: ([^\\n]+)");
  const std::string report = at::get_parallel_info();
  std::smatch match;
  return std::regex_search(report, match, pattern) ? match[1].str() : "unknown";
}

std::vector<std::string> loadedOpenMpRuntimes() {
  std::vector<std::string> found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const std::string path = info->dlpi_name ? info->dlpi_name : "";
        const std::string name = path.substr(path.find_last_of('/') + 1);
        static const std::regex runtime("^lib(gomp|iomp5|omp)([-.].*)?\\.so.*");
        if (std::regex_match(name, runtime)) static_cast<std::vector<std::string>*>(out)->push_back(path);
        return 0;
      },
      &found);
  return found;
}

// The OpenMP runtime libtorch_cpu's own references resolve to: look the symbol up from libtorch's handle
// (dlsym searches the library, then its dependencies, in load order).
std::string atenOpenMpRuntime() {
  Dl_info aten{};
  if (dladdr(reinterpret_cast<const void*>(&at::get_num_threads), &aten) == 0 || aten.dli_fname == nullptr) return "";
  void* handle = dlopen(aten.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return "";
  const std::string file = fileOf(dlsym(handle, "omp_get_max_threads"));
  dlclose(handle);
  return file;
}

OpenMpInfo measure() {
  OpenMpInfo info;
  info.atenBackend = atenBackend();
  info.atenRuntime = atenOpenMpRuntime();
  info.loadedRuntimes = loadedOpenMpRuntimes();
#ifdef _OPENMP
  info.ownRuntime = fileOf(reinterpret_cast<const void*>(&omp_get_max_threads));
  // A fresh thread, so no caller's setting changes: ATen's first-use initialisation of the thread's count
  // runs first (it would overwrite ours), then our count, then ATen reads it back.
  std::thread probe([&info] {
    at::internal::lazy_init_num_threads();
    const int wanted = at::get_num_threads() == 2 ? 3 : 2;
    omp_set_num_threads(wanted);
    info.perThreadCountReachesATen = at::get_num_threads() == wanted;
  });
  probe.join();
#endif
  return info;
}

}  // namespace

const OpenMpInfo& openMpInfo() {
  static const OpenMpInfo info = measure();
  return info;
}

}  // namespace senet
