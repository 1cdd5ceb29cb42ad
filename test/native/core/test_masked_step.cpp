// MaskedStep (native/train/masked_step.cpp) on hand-made tensors: commit(skip)
// puts back the parameters and the optimizer state that existed at
// snapshot(), zeroes state the step created, and keeps everything when the
// flag is false.

#include "core_test.h"

#include <stdexcept>

#include "train/masked_step.h"

namespace senet::coretest {

namespace {

struct Tensors {
  std::vector<torch::Tensor> parameters{torch::tensor({1.0f, 2.0f}), torch::tensor({{3.0f}, {4.0f}})};
  NamedTensors state{{"w.momentum_buffer", torch::tensor({0.5f, -0.5f})}};
};

// What an optimizer step does: parameters and existing state move, new state appears.
void fakeStep(Tensors& t) {
  t.parameters[0].add_(10);
  t.parameters[1].mul_(-1);
  t.state[0].second.add_(1);
  t.state.emplace_back("v.momentum_buffer", torch::full({2, 1}, 7.0f));
}

torch::Tensor flag(bool value) { return torch::tensor(value); }

}  // namespace

CORE_TEST(maskedStepSkip, "masked step: commit with the flag set restores parameters and prior state, zeroes new state") {
  Tensors t;
  MaskedStep masked;
  masked.snapshot(t.parameters, t.state);
  fakeStep(t);
  masked.commit(flag(true), t.parameters, t.state);
  CORE_CHECK_IDENTICAL(t.parameters, (std::vector<torch::Tensor>{torch::tensor({1.0f, 2.0f}), torch::tensor({{3.0f}, {4.0f}})}),
                       "parameters");
  CORE_CHECK_IDENTICAL((std::vector<torch::Tensor>{t.state[0].second, t.state[1].second}),
                       (std::vector<torch::Tensor>{torch::tensor({0.5f, -0.5f}), torch::zeros({2, 1})}),
                       "state: prior restored, new zeroed");
}

CORE_TEST(maskedStepKeep, "masked step: commit with the flag clear keeps the step") {
  Tensors t;
  MaskedStep masked;
  masked.snapshot(t.parameters, t.state);
  fakeStep(t);
  masked.commit(flag(false), t.parameters, t.state);
  CORE_CHECK_IDENTICAL(t.parameters, (std::vector<torch::Tensor>{torch::tensor({11.0f, 12.0f}), torch::tensor({{-3.0f}, {-4.0f}})}),
                       "parameters");
  CORE_CHECK_IDENTICAL((std::vector<torch::Tensor>{t.state[0].second, t.state[1].second}),
                       (std::vector<torch::Tensor>{torch::tensor({1.5f, 0.5f}), torch::full({2, 1}, 7.0f)}), "state");
}

CORE_TEST(maskedStepWritesInPlace, "masked step: commit writes into the live tensors (the optimizer's own storage)") {
  Tensors t;
  const auto storage = t.parameters[0].data_ptr<float>();
  MaskedStep masked;
  masked.snapshot(t.parameters, t.state);
  fakeStep(t);
  masked.commit(flag(true), t.parameters, t.state);
  CORE_CHECK(t.parameters[0].data_ptr<float>() == storage, "same storage");
  CORE_CHECK_EQ(storage[0], 1.0f, "restored through the storage");
}

CORE_TEST(maskedStepParameterListChanged, "masked step: a parameter list that changed between snapshot and commit is a logic error") {
  Tensors t;
  MaskedStep masked;
  masked.snapshot(t.parameters, t.state);
  t.parameters.pop_back();
  CORE_CHECK_THROWS(std::logic_error, masked.commit(flag(true), t.parameters, t.state), "MaskedStep: parameter list changed");
}

}  // namespace senet::coretest
