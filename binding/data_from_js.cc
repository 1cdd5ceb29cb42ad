#include "data_from_js.h"

#include "dataset_wrap.h"
#include "errors.h"
#include "js_values.h"

namespace senet_binding {

std::shared_ptr<senet::DataSource> dataSourceFromJs(const Napi::Value& value, const std::string& field) {
  Napi::Env env = value.Env();
  if (auto source = DatasetWrap::FromValue(value)) return source;
  if (!value.IsObject()) throw Napi::TypeError::New(env, field + " must be a Dataset or { images, labels, shape }");
  const Napi::Object o = value.As<Napi::Object>();
  Napi::Value shapeValue = o.Get("shape");
  if (!shapeValue.IsArray() || shapeValue.As<Napi::Array>().Length() != 4) {
    throw Napi::TypeError::New(env, field + ".shape must be [N, C, H, W]");
  }
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < 4; ++i) shape.push_back(shapeValue.As<Napi::Array>().Get(i).As<Napi::Number>().Int64Value());
  const int64_t count = shape[0] * shape[1] * shape[2] * shape[3];
  Napi::Value images = o.Get("images");
  if (!images.IsTypedArray()) throw Napi::TypeError::New(env, field + ".images must be a Uint8Array or Float32Array");
  auto typed = images.As<Napi::TypedArray>();
  if (static_cast<int64_t>(typed.ElementLength()) != count) {
    throw Napi::RangeError::New(env, field + ".images has " + std::to_string(typed.ElementLength()) +
                                         " values but shape needs " + std::to_string(count));
  }
  torch::Tensor imageTensor;
  const auto type = typed.TypedArrayType();
  if (type == napi_uint8_array) {
    imageTensor = torch::from_blob(images.As<Napi::Uint8Array>().Data(), shape, torch::kUInt8).clone();
  } else if (type == napi_float32_array) {
    imageTensor = torch::from_blob(images.As<Napi::Float32Array>().Data(), shape, torch::kFloat32).clone();
  } else {
    throw Napi::TypeError::New(env, field + ".images must be a Uint8Array or Float32Array");
  }
  Napi::Value labels = o.Get("labels");
  if (!labels.IsTypedArray() || labels.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, field + ".labels must be an Int32Array");
  }
  auto l = labels.As<Napi::Int32Array>();
  auto labelTensor = torch::from_blob(l.Data(), {static_cast<int64_t>(l.ElementLength())}, torch::kInt32).to(torch::kInt64);
  std::shared_ptr<senet::DataSource> source;
  std::string error = catchMessage(
      [&] { source = senet::inMemorySource(imageTensor, labelTensor, numberList(o.Get("mean")), numberList(o.Get("std"))); });
  if (!error.empty()) throw Napi::Error::New(env, field + ": " + error);
  return source;
}

}  // namespace senet_binding
