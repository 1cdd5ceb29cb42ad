// A promise-returning native job: `work` runs on the compute thread
// (runtime/compute_thread.h) and must not touch JS; `finish` runs on the JS
// thread once it is done and builds the promise's value. The compute thread
// completes the job itself (completions.h): no libuv thread waits for it.
// JS objects whose memory `work` reads (input buffers) are kept alive by
// references held on the JS side until the job has finished.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "addon_data.h"
#include "completions.h"
#include "errors.h"
#include "runtime/compute_thread.h"

namespace senet_binding {

using JobWork = std::function<void()>;
using JobFinish = std::function<Napi::Value(Napi::Env)>;

namespace detail {

struct PromiseJob : JsJob {
  PromiseJob(Napi::Env env, JobFinish finish) : deferred(Napi::Promise::Deferred::New(env)), finish(std::move(finish)) {}

  void settle(Napi::Env env, const std::string& error) {
    if (!error.empty()) return deferred.Reject(Napi::Error::New(env, error).Value());
    try {
      deferred.Resolve(finish(env));
    } catch (const Napi::Error& e) {
      deferred.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }

  Napi::Promise::Deferred deferred;
  JobFinish finish;
  std::vector<Napi::ObjectReference> keepAlive;
};

}  // namespace detail

inline Napi::Promise startPromiseJob(Napi::Env env, JobWork work, JobFinish finish,
                                     const std::vector<Napi::Object>& keepAlive = {}) {
  AddonData& data = AddonData::From(env);
  auto job = std::make_unique<detail::PromiseJob>(env, std::move(finish));
  for (const auto& object : keepAlive) job->keepAlive.push_back(Napi::Persistent(object));
  Napi::Promise promise = job->deferred.Promise();
  const Completions::Sender sender = data.completions->add(std::move(job));
  // A job still queued when its environment ends is skipped (env_jobs.h).
  auto jobs = data.jobs;
  senet::postToComputeThread(
      [jobs, work = std::move(work)] {
        EnvJobs::Running running(*jobs);
        work();
      },
      senet::JobKind::kShort,
      [sender](std::exception_ptr error) {
        sender.finish([message = messageOf(error)](Napi::Env env, JsJob& js) {
          static_cast<detail::PromiseJob&>(js).settle(env, message);
        });
      });
  return promise;
}

}  // namespace senet_binding
