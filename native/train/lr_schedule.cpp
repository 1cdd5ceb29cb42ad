#include "train/lr_schedule.h"

#include <cmath>
#include <stdexcept>

namespace senet {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The schedule after warmup, at iteration t of `span` iterations.
double mainFactor(const ScheduleOptions& s, double baseLr, int64_t t, int64_t span) {
  if (s.type == "constant") return baseLr;
  if (s.type == "step") return baseLr * std::pow(s.gamma, static_cast<double>(t / s.stepSize));
  if (s.type == "multistep") {
    int passed = 0;
    for (int64_t m : s.milestones) passed += t >= m ? 1 : 0;
    return baseLr * std::pow(s.gamma, passed);
  }
  if (s.type == "cosine") {
    if (span <= 0) return baseLr;
    const double progress = static_cast<double>(std::min(t, span)) / static_cast<double>(span);
    return s.finalLr + (baseLr - s.finalLr) * (1.0 + std::cos(kPi * progress)) / 2.0;
  }
  throw std::invalid_argument("schedule.type: unknown '" + s.type + "'");
}

}  // namespace

double learningRate(const ScheduleOptions& s, double baseLr, int64_t t, int64_t total) {
  const int64_t w = s.warmupIterations;
  if (t < w) {
    // LinearLR(start_factor, end_factor=1, total_iters=w)
    return baseLr * (s.warmupStartFactor + (1.0 - s.warmupStartFactor) * static_cast<double>(t) / static_cast<double>(w));
  }
  return mainFactor(s, baseLr, t - w, total - w);
}

}  // namespace senet
