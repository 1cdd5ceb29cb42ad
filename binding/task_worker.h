// A promise-returning AsyncWorker: `work` runs on a libuv worker thread and
// must not touch JS; `finish` runs on the JS thread and builds the result.
// JS objects whose memory `work` reads (input buffers) are kept alive by
// references released on the JS thread when the worker is destroyed.
#pragma once

#include <napi.h>

#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "addon_data.h"
#include "runtime/compute_thread.h"
#include "env_state.h"
#include "errors.h"
#include "runtime/runtime.h"

namespace senet_binding {

class TaskWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Finish = std::function<Napi::Value(Napi::Env)>;

  static Napi::Promise Start(Napi::Env env, Work work, Finish finish, std::vector<Napi::Object> keepAlive = {}) {
    // A job still queued when its environment exits is skipped (addon_data.h: closing).
    auto closing = AddonData::From(env).closing;
    auto guarded = [closing, work = std::move(work)] {
      if (closing->load()) throw std::runtime_error("skipped: the process or worker is exiting");
      work();
    };
    auto* worker = new TaskWorker(env, std::move(guarded), std::move(finish));
    for (auto& object : keepAlive) worker->keepAlive_.push_back(Napi::Persistent(object));
    auto promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    // Tensor work goes to the process's one compute thread (compute_thread.h).
    std::string error = catchMessage([this] { senet::runOnComputeThread(work_); });
    if (!error.empty()) SetError(error);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!stillRunning(env)) return;  // the environment is ending: nobody awaits the promise
    try {
      deferred_.Resolve(finish_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }

  void OnError(const Napi::Error& error) override {
    if (stillRunning(Env())) deferred_.Reject(error.Value());
  }

 private:
  TaskWorker(Napi::Env env, Work work, Finish finish)
      : Napi::AsyncWorker(env, "senet-lab"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        finish_(std::move(finish)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Finish finish_;
  std::vector<Napi::ObjectReference> keepAlive_;
};

}  // namespace senet_binding
