// learningRate() (native/train/lr_schedule.cpp) against values worked out by
// hand from torch.optim.lr_scheduler's definitions, and against PyTorch's own
// recursive (chainable) update rules stepped once per iteration. Base rate,
// factors and gammas are powers of two, so every value without a cosine in
// it is exact in binary and compared for equality.

#include "core_test.h"

#include <cmath>
#include <stdexcept>

#include "train/lr_schedule.h"

namespace senet::coretest {

namespace {

constexpr double kBase = 0.5;
constexpr double kPi = 3.14159265358979323846;

ScheduleOptions schedule(const std::string& type) {
  ScheduleOptions s;
  s.type = type;
  return s;
}

double lrAt(const ScheduleOptions& s, int64_t t, int64_t total) { return learningRate(s, kBase, t, total); }

}  // namespace

CORE_TEST(constantSchedule, "lr schedule: constant is the base rate at every iteration, past the end too") {
  for (int64_t t : {0, 1, 50, 99, 100, 1000}) CORE_CHECK_EQ(lrAt(schedule("constant"), t, 100), kBase, "t=" + std::to_string(t));
}

CORE_TEST(stepSchedule, "lr schedule: step multiplies by gamma every stepSize iterations (StepLR)") {
  auto s = schedule("step");
  s.stepSize = 3;
  s.gamma = 0.5;
  const double expected[] = {0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625};
  for (int64_t t = 0; t < 10; ++t) CORE_CHECK_EQ(lrAt(s, t, 10), expected[t], "t=" + std::to_string(t));
}

CORE_TEST(multistepSchedule, "lr schedule: multistep multiplies by gamma at each milestone, a repeated one twice (MultiStepLR)") {
  auto s = schedule("multistep");
  s.gamma = 0.5;
  s.milestones = {5, 2};  // unsorted on purpose: each milestone passed counts once
  const double expected[] = {0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125};
  for (int64_t t = 0; t < 7; ++t) CORE_CHECK_EQ(lrAt(s, t, 7), expected[t], "t=" + std::to_string(t));
  s.milestones = {2, 2};  // MultiStepLR counts milestones with their multiplicity
  CORE_CHECK_EQ(lrAt(s, 1, 7), 0.5, "before a doubled milestone");
  CORE_CHECK_EQ(lrAt(s, 2, 7), 0.125, "at a doubled milestone");
}

CORE_TEST(cosineSchedule, "lr schedule: cosine from the base rate to finalLr at the last iteration, then stays (CosineAnnealingLR)") {
  auto s = schedule("cosine");
  s.finalLr = 0.125;
  CORE_CHECK_EQ(lrAt(s, 0, 4), 0.5, "start");
  CORE_CHECK_EQ(lrAt(s, 2, 4), 0.3125, "half way: the mean of base and final");
  CORE_CHECK_EQ(lrAt(s, 4, 4), 0.125, "end");
  CORE_CHECK_EQ(lrAt(s, 9, 4), 0.125, "past the end");
  // 0.125 + 0.375 * (1 + cos(pi/4)) / 2 and 0.125 + 0.375 * (1 + cos(pi/3)) / 2, in decimal.
  CORE_CHECK_NEAR(lrAt(s, 1, 4), 0.44508252147247765, 1e-15, "a quarter of the way");
  CORE_CHECK_NEAR(lrAt(s, 1, 3), 0.40625, 1e-15, "a third of the way");
}

CORE_TEST(warmupSchedule, "lr schedule: linear warmup from warmupStartFactor, then the main schedule counted from its end (LinearLR + SequentialLR)") {
  auto s = schedule("step");
  s.warmupIterations = 4;
  s.warmupStartFactor = 0.25;
  s.stepSize = 2;
  s.gamma = 0.5;
  // 0.5 * (0.25 + 0.75 * t / 4) during warmup; StepLR restarted at t = 4.
  const double expected[] = {0.125, 0.21875, 0.3125, 0.40625, 0.5, 0.5, 0.25, 0.25, 0.125};
  for (int64_t t = 0; t < 9; ++t) CORE_CHECK_EQ(lrAt(s, t, 9), expected[t], "step after warmup, t=" + std::to_string(t));

  auto m = schedule("multistep");
  m.warmupIterations = 4;
  m.warmupStartFactor = 0.25;
  m.gamma = 0.5;
  m.milestones = {1};
  CORE_CHECK_EQ(lrAt(m, 4, 9), 0.5, "multistep: milestones count from the end of warmup");
  CORE_CHECK_EQ(lrAt(m, 5, 9), 0.25, "multistep: its milestone 1 is iteration 5");

  auto c = schedule("cosine");
  c.warmupIterations = 2;
  c.warmupStartFactor = 0.25;
  CORE_CHECK_EQ(lrAt(c, 2, 6), 0.5, "cosine starts at the base rate after warmup");
  CORE_CHECK_EQ(lrAt(c, 4, 6), 0.25, "cosine spans the iterations after warmup");
  CORE_CHECK_EQ(lrAt(c, 6, 6), 0.0, "cosine ends at finalLr");
  c.warmupIterations = 6;
  CORE_CHECK_EQ(lrAt(c, 7, 6), 0.5, "warmup over the whole run leaves no cosine span (no 0/0): the base rate");
}

// PyTorch's schedulers update the rate recursively each step (get_lr), not by
// the closed forms above: LinearLR multiplies by 1 + (1 - s) / (w s + (t - 1)(1 - s)),
// CosineAnnealingLR by (1 + cos(pi t / T)) / (1 + cos(pi (t - 1) / T)) around
// eta_min, and SequentialLR hands over to the second scheduler at the milestone.
CORE_TEST(recursiveForm, "lr schedule: warmup + cosine equals PyTorch's step-by-step recursion over a whole run") {
  auto s = schedule("cosine");
  s.warmupIterations = 5;
  s.warmupStartFactor = 0.1;
  s.finalLr = 0.001;
  const int64_t total = 60, w = s.warmupIterations, span = total - w;
  double lr = kBase * s.warmupStartFactor;
  for (int64_t t = 0; t <= total; ++t) {
    if (t > 0 && t < w) {
      lr *= 1 + (1 - s.warmupStartFactor) / (w * s.warmupStartFactor + (t - 1) * (1 - s.warmupStartFactor));
    } else if (t == w) {
      lr = kBase;  // CosineAnnealingLR's first step: its base rate
    } else if (t > w) {
      const int64_t k = t - w;
      lr = s.finalLr + (lr - s.finalLr) * (1 + std::cos(kPi * k / span)) / (1 + std::cos(kPi * (k - 1) / span));
    }
    CORE_CHECK_NEAR(lrAt(s, t, total), lr, 1e-12, "t=" + std::to_string(t));
  }
}

CORE_TEST(unknownSchedule, "lr schedule: an unknown type is refused by name") {
  CORE_CHECK_THROWS(std::invalid_argument, lrAt(schedule("linear"), 0, 10), "schedule.type: unknown 'linear'");
}

}  // namespace senet::coretest
