// The step strategies on a batch whose loss is not finite (NaN images, or a
// NaN from another process through the hooks' loss reduction): skipped
// without a trace where the run skips such batches, stopped at the read-back
// where it does not.

#include "core_test.h"
#include "step_fixture.h"

#include <cmath>

namespace senet::coretest {

namespace {

// A run of batches 0 and 2 against one of batches 0, (1 with NaN images), 2:
// parameters, optimizer state and BN buffers must end up identical.
void checkSkipLeavesNoTrace(StrategySetup setup, const std::string& what) {
  setup.skipNonFinite = true;
  StrategyRun clean(setup), skipping(setup);
  clean.step(batch(0), 1, 0.1);
  clean.step(batch(2), 2, 0.1);
  skipping.step(batch(0), 1, 0.1);
  const auto parameters = skipping.parameters(), buffers = skipping.buffers();
  skipping.step(nanBatch(1), 2, 0.1);
  CORE_CHECK_IDENTICAL(skipping.parameters(), parameters, what + ": weights after the NaN batch");
  CORE_CHECK_IDENTICAL(skipping.buffers(), buffers, what + ": BN buffers after the NaN batch");
  skipping.step(batch(2), 3, 0.1);
  CORE_CHECK_IDENTICAL(skipping.parameters(), clean.parameters(), what + ": weights as if the NaN batch never came");
  CORE_CHECK_IDENTICAL(skipping.optimizerState(), clean.optimizerState(), what + ": momentum as if the NaN batch never came");
  CORE_CHECK_IDENTICAL(skipping.buffers(), clean.buffers(), what + ": BN buffers as if the NaN batch never came");
  skipping.flush();
  CORE_CHECK_EQ(skipping.reports.size(), static_cast<size_t>(3), what + ": every step reported");
  CORE_CHECK(std::isnan(skipping.reports[1].loss), what + ": the NaN loss is reported");
  CORE_CHECK(std::isfinite(skipping.reports[2].loss), what + ": the next loss is finite");
}

}  // namespace

CORE_TEST(perStepSkip, "step: per-step sync with skipNonFinite leaves no trace of a NaN batch") {
  checkSkipLeavesNoTrace({}, "per-step sync");
}

CORE_TEST(maskedSkip, "step: masked deferred sync undoes a NaN batch's update on the device, leaving no trace") {
  StrategySetup setup;
  setup.deferredSync = true;
  checkSkipLeavesNoTrace(setup, "masked");
}

CORE_TEST(maskedFirstStepSkip, "step: a skipped first step leaves zero momentum, so the next step is a first step's") {
  StrategySetup setup;
  setup.deferredSync = true;
  setup.skipNonFinite = true;
  StrategyRun skipping(setup);
  ReferenceRun reference(setup.optimizer);
  const auto initial = skipping.parameters();
  skipping.step(nanBatch(0), 1, 0.1);
  CORE_CHECK_IDENTICAL(skipping.parameters(), initial, "weights after the skipped first step");
  for (const auto& m : skipping.optimizerState()) CORE_CHECK(m.eq(0).all().item<bool>(), "momentum created by the skipped step is zero");
  skipping.step(batch(1), 2, 0.1);
  reference.step(batch(1), 0.1);
  CORE_CHECK_IDENTICAL(skipping.parameters(), reference.parameters(), "weights after the next step equal one plain first step");
}

CORE_TEST(perStepNanWithoutSkip, "step: per-step sync without skipNonFinite reports a NaN loss before any update") {
  StrategyRun run(StrategySetup{});
  run.step(batch(0), 1, 0.1);
  const auto parameters = run.parameters(), state = run.optimizerState();
  run.step(nanBatch(1), 2, 0.1);
  CORE_CHECK(std::isnan(run.reports.back().loss), "the NaN loss is reported at once");
  CORE_CHECK_EQ(run.reports.back().record.done, 2, "for its step");
  CORE_CHECK_IDENTICAL(run.parameters(), parameters, "no update from the NaN batch");
  CORE_CHECK_IDENTICAL(run.optimizerState(), state, "momentum unchanged");
}

CORE_TEST(deferredNanApplied, "step: unmasked deferred sync applies a NaN step and says so when the loss is read back") {
  StrategySetup setup;
  setup.deferredSync = true;
  StrategyRun run(setup);
  run.step(nanBatch(0), 1, 0.1);
  CORE_CHECK(run.reports.empty(), "nothing read back inside the step");
  bool anyNan = false;
  for (const auto& p : run.parameters()) anyNan = anyNan || p.isnan().any().item<bool>();
  CORE_CHECK(anyNan, "the update was applied (no mask without skipNonFinite or loss scaling)");
  run.flush();
  CORE_CHECK(std::isnan(run.reports.at(0).loss), "the NaN loss at flush");
  CORE_CHECK(run.reports[0].note.find("; the weights in memory include the updates since, use the checkpoint)") != std::string::npos,
             "the note points to the checkpoint: " + run.reports[0].note);
}

CORE_TEST(peerNanSkips, "step: a loss that the hooks reduce to NaN (another process's) is skipped like a local one") {
  for (const bool deferred : {false, true}) {
    StrategySetup setup;
    setup.deferredSync = deferred;
    setup.skipNonFinite = true;
    StrategyRun run(setup);
    const std::string what = deferred ? "masked" : "per-step sync";
    run.step(batch(0), 1, 0.1);
    const auto parameters = run.parameters(), buffers = run.buffers(), state = run.optimizerState();
    run.hooks.poison = true;
    run.step(batch(1), 2, 0.1);
    CORE_CHECK_IDENTICAL(run.parameters(), parameters, what + ": weights");
    CORE_CHECK_IDENTICAL(run.buffers(), buffers, what + ": BN buffers");
    CORE_CHECK_IDENTICAL(run.optimizerState(), state, what + ": momentum");
    run.flush();
    CORE_CHECK(std::isnan(run.reports.back().loss), what + ": the reduced (NaN) loss is the one reported");
  }
}

}  // namespace senet::coretest
