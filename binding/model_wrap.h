// JS class `Model`: owns a shared senet::Model. Workers hold their own
// shared_ptr, so dispose() during a predict frees the model only after it.
#pragma once

#include <napi.h>

#include <memory>

#include "model/model.h"

namespace senet_binding {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps an already-built model (used by loadModel).
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<senet::Model> model);

  explicit ModelWrap(const Napi::CallbackInfo& info);
  // The native model behind a JS Model object; throws a TypeError for anything else.
  static std::shared_ptr<senet::Model> FromValue(const Napi::Value& value);

 private:
  // Throws when disposed.
  std::shared_ptr<senet::Model> model(const Napi::Env& env) const;

  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Summary(const Napi::CallbackInfo& info);
  Napi::Value StateDictKeys(const Napi::CallbackInfo& info);
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Options(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);

  std::shared_ptr<senet::Model> model_;
};

}  // namespace senet_binding
