#include "runtime/allocator_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace senet {

namespace {

constexpr int kMmapThreshold = 32 << 20;  // glibc's ceiling for M_MMAP_THRESHOLD on 64-bit
constexpr int kTrimThreshold = 1 << 30;

std::string apply() {
  const char* env = std::getenv("SENET_MALLOC_TUNING");
  if (env != nullptr && std::strcmp(env, "0") == 0) return "off (SENET_MALLOC_TUNING=0)";
#if defined(__GLIBC__)
  // Fixing either value turns off glibc's dynamic threshold, so set both.
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1 || mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1) {
    return "glibc defaults (mallopt refused the settings)";
  }
  return "glibc: mmap threshold 32 MiB, trim threshold 1 GiB";
#else
  return "allocator defaults (not glibc)";
#endif
}

}  // namespace

const std::string& tuneAllocator() {
  static const std::string applied = apply();
  return applied;
}

}  // namespace senet
