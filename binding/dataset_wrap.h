// JS class `Dataset`: a scanned dataset (native DataSource) that train() and
// evaluate() read from native threads.
#pragma once

#include <napi.h>

#include <memory>

#include "data/data_formats.h"

namespace senet_binding {

class DatasetWrap : public Napi::ObjectWrap<DatasetWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<senet::DataSource> source);
  // The source behind a Dataset object, or null for anything else.
  static std::shared_ptr<senet::DataSource> FromValue(const Napi::Value& value);

  explicit DatasetWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Sample(const Napi::CallbackInfo& info);
  Napi::Value Batch(const Napi::CallbackInfo& info);

  std::shared_ptr<senet::DataSource> source_;
};

// openDataset(spec) -> Promise<Dataset>; the scan runs on a worker thread.
Napi::Value OpenDataset(const Napi::CallbackInfo& info);

}  // namespace senet_binding
