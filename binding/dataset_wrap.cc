#include "dataset_wrap.h"

#include "addon_data.h"
#include "errors.h"
#include "js_json.h"
#include "js_values.h"
#include "data/loader.h"
#include "promise_job.h"

namespace senet_binding {

Napi::Function DatasetWrap::Define(Napi::Env env) {
  return DefineClass(env, "Dataset",
                     {InstanceMethod<&DatasetWrap::Info>("info"), InstanceMethod<&DatasetWrap::Sample>("sample"),
                      InstanceMethod<&DatasetWrap::Batch>("batch")});
}

Napi::Object DatasetWrap::Wrap(Napi::Env env, std::shared_ptr<senet::DataSource> source) {
  auto holder = Napi::External<std::shared_ptr<senet::DataSource>>::New(
      env, new std::shared_ptr<senet::DataSource>(std::move(source)),
      [](Napi::Env, std::shared_ptr<senet::DataSource>* p) { delete p; });
  return AddonData::From(env).datasetConstructor.New({holder});
}

std::shared_ptr<senet::DataSource> DatasetWrap::FromValue(const Napi::Value& value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(AddonData::From(value.Env()).datasetConstructor.Value())) {
    return nullptr;
  }
  return Unwrap(value.As<Napi::Object>())->source_;
}

DatasetWrap::DatasetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatasetWrap>(info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "Dataset objects come from openDataset(spec)");
  }
  source_ = *info[0].As<Napi::External<std::shared_ptr<senet::DataSource>>>().Data();
}

Napi::Value DatasetWrap::Info(const Napi::CallbackInfo& info) { return resultToJs(info.Env(), source_->info()); }

// sample(index, seed, epoch) -> { image: Float32Array, shape, label }, synchronous (tests, previews).
Napi::Value DatasetWrap::Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t index = info[0].As<Napi::Number>().Int64Value();
  if (index < 0 || index >= source_->size()) {
    throw Napi::RangeError::New(env, "index " + std::to_string(index) + " is outside [0, " + std::to_string(source_->size()) + ")");
  }
  const auto seed = static_cast<uint64_t>(info.Length() > 1 ? info[1].As<Napi::Number>().Int64Value() : 0);
  const int64_t epoch = info.Length() > 2 ? info[2].As<Napi::Number>().Int64Value() : 0;
  torch::Tensor sample;
  std::string error = catchMessage([&] { sample = source_->sampleAt(index, seed, epoch); });
  if (!error.empty()) throw Napi::Error::New(env, error);
  auto o = Napi::Object::New(env);
  o.Set("image", toFloat32Array(env, sample));
  o.Set("shape", toJsNumbers(env, sample.sizes().vec()));
  o.Set("label", Napi::Number::New(env, static_cast<double>(source_->labelAt(index))));
  return o;
}

// batch(options, iteration) -> Promise<{ images, shape, labels }> through a Loader (tests, benchmarks).
Napi::Value DatasetWrap::Batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = info[0].As<Napi::Object>();
  senet::LoaderOptions options;
  auto integer = [&](const char* key, int64_t fallback) {
    return o.Get(key).IsNumber() ? o.Get(key).As<Napi::Number>().Int64Value() : fallback;
  };
  options.batchSize = integer("batchSize", options.batchSize);
  options.seed = static_cast<uint64_t>(integer("seed", 0));
  options.workers = integer("workers", 0);
  options.rank = integer("rank", 0);
  options.worldSize = integer("worldSize", 1);
  options.shuffle = o.Get("shuffle").IsBoolean() ? o.Get("shuffle").As<Napi::Boolean>().Value() : true;
  options.dropLast = o.Get("dropLast").IsBoolean() ? o.Get("dropLast").As<Napi::Boolean>().Value() : true;
  const int64_t first = info[1].As<Napi::Number>().Int64Value();
  const int64_t count = info.Length() > 2 ? info[2].As<Napi::Number>().Int64Value() : 1;
  auto source = source_;
  auto result = std::make_shared<std::vector<senet::Batch>>();
  auto seconds = std::make_shared<double>(0);
  return startPromiseJob(
      env,
      [source, options, first, count, result, seconds] {
        senet::Loader loader(source, options);
        const auto start = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < count; ++i) {
          senet::Batch b = loader.batch(first + i);
          if (i == count - 1) result->push_back(b);
        }
        *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      },
      [result, seconds](Napi::Env env) -> Napi::Value {
        const senet::Batch& b = result->back();
        auto out = Napi::Object::New(env);
        out.Set("images", toFloat32Array(env, b.images));
        out.Set("shape", toJsNumbers(env, b.images.sizes().vec()));
        auto labels = Napi::Array::New(env, static_cast<size_t>(b.labels.size(0)));
        for (int64_t i = 0; i < b.labels.size(0); ++i) labels.Set(i, Napi::Number::New(env, static_cast<double>(b.labels[i].item<int64_t>())));
        out.Set("labels", labels);
        out.Set("seconds", *seconds);
        return out;
      });
}

Napi::Value OpenDataset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "openDataset(spec) needs a spec object");
  // lib/data.ts resolveDatasetSpec validated it; the struct's field list copies it (data/data_formats.h).
  const auto spec = structFromJs<senet::DataSpec>(info[0], "dataset spec");
  auto built = std::make_shared<std::shared_ptr<senet::DataSource>>();
  return startPromiseJob(
      env, [spec, built] { *built = senet::openDataSource(spec); },
      [built](Napi::Env env) -> Napi::Value { return DatasetWrap::Wrap(env, *built); });
}

}  // namespace senet_binding
