#include "evaluate_job.h"

#include <memory>

#include "errors.h"
#include "model_wrap.h"
#include "promise_job.h"
#include "js_json.h"
#include "data_from_js.h"
#include "options.h"
#include "train/evaluate.h"

namespace senet_binding {

Napi::Value Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = ModelWrap::FromValue(info[0]);
  auto data = dataSourceFromJs(info[1], "data");
  const int64_t batchSize = info[2].IsNumber() ? info[2].As<Napi::Number>().Int64Value() : 256;
  const int64_t workers = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : 0;
  const senet::InferenceSettings settings = inferenceSettingsFromJs(info[4]);
  std::string error = catchMessage([&] {
    senet::validateSource(*data, model->options().inChannels, model->options().numClasses, "data");
  });
  if (!error.empty()) throw Napi::Error::New(env, error);
  auto result = std::make_shared<senet::EvalResult>();
  return startPromiseJob(
      env,
      [model, data, batchSize, workers, settings, result] {
        *result = senet::evaluate(*model, data, batchSize, workers, settings);
      },
      [result](Napi::Env env) -> Napi::Value { return resultToJs(env, *result); });
}

}  // namespace senet_binding
