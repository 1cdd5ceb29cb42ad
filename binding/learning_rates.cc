#include "learning_rates.h"

#include <algorithm>

#include "errors.h"
#include "options.h"
#include "train/lr_schedule.h"
#include "train/train_options.h"

namespace senet_binding {

Napi::Value LearningRates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  senet::TrainOptions options = trainOptionsFromJs(info[0]);
  const int64_t count = info[1].As<Napi::Number>().Int64Value();
  std::string error = catchMessage([&] { senet::checkTrainInvariants(options); });
  if (!error.empty()) throw Napi::Error::New(env, error);
  auto out = Napi::Float64Array::New(env, static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t t = 0; t < count; ++t) {
    out[static_cast<size_t>(t)] = senet::learningRate(options.schedule, options.optimizer.lr, t, options.iterations);
  }
  return out;
}

}  // namespace senet_binding
