// The step strategies (native/train/step.cpp) on finite batches: each one's
// update equals a plain libtorch step (forward, cross_entropy, backward,
// torch::optim) on the same network, losses are reported when the strategy
// promises (at once, or at flush()), and the hooks run in their order.

#include "core_test.h"
#include "step_fixture.h"

namespace senet::coretest {

namespace {

const double kRates[] = {0.1, 0.05, 0.025};

}  // namespace

CORE_TEST(perStepSyncEqualsReference, "step: per-step sync equals a plain libtorch SGD step and reports each loss at once") {
  StrategySetup setup;
  setup.labelSmoothing = 0.1;
  StrategyRun run(setup);
  ReferenceRun reference(setup.optimizer, setup.labelSmoothing);
  for (int k = 0; k < 3; ++k) {
    const double loss = reference.step(batch(k), kRates[k]);
    run.step(batch(k), k + 1, kRates[k]);
    CORE_CHECK_EQ(run.reports.size(), static_cast<size_t>(k + 1), "a report per step, during the step");
    CORE_CHECK_EQ(run.reports.back().loss, loss, "the loss of step " + std::to_string(k + 1));
    CORE_CHECK_EQ(run.reports.back().record.done, k + 1, "the record reported with it");
    CORE_CHECK_EQ(run.reports.back().record.lr, kRates[k], "the rate reported with it");
    CORE_CHECK_EQ(run.reports.back().note, "", "no note");
    CORE_CHECK_IDENTICAL(run.parameters(), reference.parameters(), "weights after step " + std::to_string(k + 1));
    CORE_CHECK_IDENTICAL(run.buffers(), reference.buffers(), "BN buffers after step " + std::to_string(k + 1));
  }
  run.flush();
  CORE_CHECK_EQ(run.reports.size(), static_cast<size_t>(3), "flush has nothing left to report");
}

CORE_TEST(adamwEqualsReference, "step: per-step sync with AdamW equals a plain libtorch AdamW step") {
  StrategySetup setup;
  setup.optimizer.type = "adamw";
  setup.optimizer.weightDecay = 0.05;
  StrategyRun run(setup);
  ReferenceRun reference(setup.optimizer);
  for (int k = 0; k < 3; ++k) {
    const double loss = reference.step(batch(k), kRates[k] / 10);
    run.step(batch(k), k + 1, kRates[k] / 10);
    CORE_CHECK_EQ(run.reports.back().loss, loss, "the loss of step " + std::to_string(k + 1));
    CORE_CHECK_IDENTICAL(run.parameters(), reference.parameters(), "weights after step " + std::to_string(k + 1));
  }
}

CORE_TEST(deferredReportsAtFlush, "step: deferred sync reports no loss until flush, then each in order, with the same weights as per-step sync") {
  StrategyRun eager(StrategySetup{});
  StrategySetup setup;
  setup.deferredSync = true;
  StrategyRun deferred(setup);
  for (int k = 0; k < 3; ++k) {
    eager.step(batch(k), k + 1, kRates[k]);
    deferred.step(batch(k), k + 1, kRates[k]);
  }
  CORE_CHECK(deferred.reports.empty(), "no loss read back inside a step");
  CORE_CHECK_IDENTICAL(deferred.parameters(), eager.parameters(), "weights after 3 steps");
  CORE_CHECK_IDENTICAL(deferred.optimizerState(), eager.optimizerState(), "momentum after 3 steps");
  CORE_CHECK_IDENTICAL(deferred.buffers(), eager.buffers(), "BN buffers after 3 steps");
  deferred.flush();
  CORE_CHECK_EQ(deferred.reports.size(), static_cast<size_t>(3), "every pending loss at flush");
  const std::string note =
      " (read back at iteration 3: on CUDA losses are checked at log, eval and checkpoint points; the weights in memory "
      "include the updates since, use the checkpoint)";
  for (size_t k = 0; k < 3; ++k) {
    CORE_CHECK_EQ(deferred.reports[k].record.done, static_cast<int64_t>(k + 1), "reported in step order");
    CORE_CHECK_EQ(deferred.reports[k].record.lr, kRates[k], "with the step's rate");
    CORE_CHECK_EQ(deferred.reports[k].loss, eager.reports[k].loss, "the same loss as per-step sync");
    CORE_CHECK_EQ(deferred.reports[k].note, note, "where it was read back");
  }
  deferred.flush();
  CORE_CHECK_EQ(deferred.reports.size(), static_cast<size_t>(3), "a second flush reports nothing again");
}

CORE_TEST(maskedFiniteEqualsDeferred, "step: masked deferred sync (skipNonFinite) on finite batches equals unmasked deferred sync") {
  StrategySetup plain;
  plain.deferredSync = true;
  StrategySetup masked = plain;
  masked.skipNonFinite = true;
  StrategyRun a(plain), b(masked);
  for (int k = 0; k < 3; ++k) {
    a.step(batch(k), k + 1, kRates[k]);
    b.step(batch(k), k + 1, kRates[k]);
  }
  CORE_CHECK_IDENTICAL(b.parameters(), a.parameters(), "weights");
  CORE_CHECK_IDENTICAL(b.optimizerState(), a.optimizerState(), "momentum");
  CORE_CHECK_IDENTICAL(b.buffers(), a.buffers(), "BN buffers");
  b.flush();
  CORE_CHECK_EQ(b.reports.size(), static_cast<size_t>(3), "every loss at flush");
  CORE_CHECK(b.reports[2].note.find("; that step's update was not applied)") != std::string::npos,
             "the masked strategy's note says a non-finite step was not applied: " + b.reports[2].note);
}

CORE_TEST(hookOrder, "step: each strategy calls the hooks in order around its step") {
  using Calls = std::vector<std::string>;
  StrategyRun eager(StrategySetup{});
  eager.step(batch(0), 1, 0.1);
  eager.flush();
  CORE_CHECK(eager.hooks.calls == (Calls{"beforeForward", "reduceLoss", "beforeBackward", "afterBackward"}), "per-step sync");

  StrategySetup deferredSetup;
  deferredSetup.deferredSync = true;
  StrategyRun deferred(deferredSetup);
  deferred.step(batch(0), 1, 0.1);
  deferred.step(batch(1), 2, 0.1);
  deferred.flush();
  CORE_CHECK(deferred.hooks.calls == (Calls{"beforeForward", "beforeBackward", "afterBackward", "beforeForward", "beforeBackward",
                                            "afterBackward", "reduceLoss(tensor)"}),
             "deferred: one reduction of all pending losses at flush");

  StrategySetup maskedSetup = deferredSetup;
  maskedSetup.skipNonFinite = true;
  StrategyRun masked(maskedSetup);
  masked.step(batch(0), 1, 0.1);
  CORE_CHECK(masked.hooks.calls == (Calls{"beforeForward", "reduceLoss(tensor)", "beforeBackward", "afterBackward"}),
             "masked: the loss reduced on the device before backward");

  StrategySetup skipSetup;
  skipSetup.skipNonFinite = true;
  StrategyRun skipping(skipSetup);
  skipping.step(nanBatch(0), 1, 0.1);
  CORE_CHECK(skipping.hooks.calls == (Calls{"beforeForward", "reduceLoss"}), "per-step sync skips backward on a NaN loss");
}

CORE_TEST(deferredSyncChoice, "step: deferred sync on CUDA with SGD at dampening 0 only, or on CPU through the test override") {
  OptimizerOptions sgd = sgdOptions(), adamw = sgdOptions(), damped = sgdOptions();
  adamw.type = "adamw";
  damped.dampening = 0.1;
  const torch::Device cuda(torch::kCUDA, 0);
  CORE_CHECK(usesDeferredSync(cuda, sgd), "CUDA, SGD");
  CORE_CHECK(!usesDeferredSync(cuda, adamw), "CUDA, AdamW keeps its step count on the host");
  CORE_CHECK(!usesDeferredSync(cuda, damped), "CUDA, SGD with dampening: not exactly undoable");
  CORE_CHECK(!usesDeferredSync(torch::kCPU, sgd), "CPU");
  setStepOverrides({true, 0});
  const bool overridden = usesDeferredSync(torch::kCPU, sgd), overriddenAdamw = usesDeferredSync(torch::kCPU, adamw);
  setStepOverrides({});
  CORE_CHECK(overridden, "CPU with the deferredSync override");
  CORE_CHECK(!overriddenAdamw, "the override keeps AdamW per-step");
  CORE_CHECK(!usesDeferredSync(torch::kCPU, sgd), "override cleared");
}

}  // namespace senet::coretest
