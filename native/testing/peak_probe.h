// The machine's attainable float32 compute rate on this process's threads,
// for the benchmarks' "fraction of peak" column: the best GFLOP/s of a
// large square GEMM (ATen's BLAS) and of a 3x3 convolution run the way the
// inference form runs one (oneDNN, blocked layout, weights reordered once).
// Not a theoretical peak (clock x FMA units): what these libraries reach
// here, so a figure near 100% means "no faster on this machine with them".
#pragma once

#include <cstdint>

namespace senet {

struct PeakProbeResult {
  double gemmGflops = 0;
  double convGflops = 0;
  int64_t gemmSize = 0;  // the GEMM is gemmSize x gemmSize x gemmSize
  double seconds = 0;
};

// Runs each probe repeatedly for about `seconds` in total; keeps the best rate.
PeakProbeResult runPeakProbe(double seconds);

}  // namespace senet
