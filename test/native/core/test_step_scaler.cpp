// The step strategies with fp16's dynamic loss scaling (GradScaler, here in
// fp32 math on CPU): a power-of-two scale leaves the step exactly as
// without scaling, a scale that overflows the gradients skips the step and
// backs off, and the scale grows after growthInterval good steps.

#include "core_test.h"
#include "step_fixture.h"

#include <cmath>

namespace senet::coretest {

namespace {

StrategySetup scaled(bool deferred, double init, int64_t growthInterval = 2000) {
  StrategySetup s;
  s.deferredSync = deferred;
  s.scalerInit = init;
  s.scalerGrowthInterval = growthInterval;
  return s;
}

}  // namespace

CORE_TEST(scaledEqualsUnscaled, "step: loss scaling by a power of two gives the unscaled step's weights; the scale doubles after growthInterval steps") {
  for (const bool deferred : {false, true}) {
    const std::string what = deferred ? "masked" : "per-step sync";
    StrategySetup plainSetup;
    plainSetup.deferredSync = deferred;
    StrategyRun plain(plainSetup), run(scaled(deferred, 1024, 2));
    for (int k = 0; k < 3; ++k) {
      plain.step(batch(k), k + 1, 0.1);
      run.step(batch(k), k + 1, 0.1);
    }
    CORE_CHECK_IDENTICAL(run.parameters(), plain.parameters(), what + ": weights");
    CORE_CHECK_IDENTICAL(run.optimizerState(), plain.optimizerState(), what + ": momentum");
    CORE_CHECK_EQ(run.scaler()->scaleTensor().item<float>(), 2048.0f, what + ": scale after 3 good steps at interval 2");
    CORE_CHECK_EQ(run.scaler()->growthTracker().item<int>(), 1, what + ": good steps since the growth");
    run.flush();
    plain.flush();
    for (size_t k = 0; k < 3; ++k) CORE_CHECK_EQ(run.reports[k].loss, plain.reports[k].loss, what + ": the unscaled loss is reported");
  }
}

CORE_TEST(overflowSkips, "step: a scale that overflows the gradients skips the update and halves the scale") {
  const float huge = 3e38f;
  for (const bool deferred : {false, true}) {
    const std::string what = deferred ? "masked" : "per-step sync";
    StrategyRun run(scaled(deferred, huge));
    const auto parameters = run.parameters();
    run.step(batch(0), 1, 0.1);
    CORE_CHECK_IDENTICAL(run.parameters(), parameters, what + ": weights after the overflowing step");
    for (const auto& m : run.optimizerState()) CORE_CHECK(m.eq(0).all().item<bool>(), what + ": no momentum from the skipped step");
    CORE_CHECK_EQ(run.scaler()->scaleTensor().item<float>(), huge * 0.5f, what + ": the scale backs off");
    CORE_CHECK_EQ(run.scaler()->growthTracker().item<int>(), 0, what + ": the growth count restarts");
    run.flush();
    CORE_CHECK(std::isfinite(run.reports.at(0).loss), what + ": the loss itself was finite");
  }
}

}  // namespace senet::coretest
