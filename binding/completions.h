// The one way back from the compute thread to an environment's JS thread.
//
// A job posted to the compute thread (runtime/compute_thread.h) completes
// itself: the compute thread hands its result, and a training run its events,
// to a thread-safe function of the job's environment, which runs the delivery
// on that environment's JS thread. No libuv thread-pool thread waits on tensor
// work, so the host's own fs, dns, zlib and crypto calls are never queued
// behind ours.
//
// What only the JS thread may touch (the promise, the references that keep an
// input buffer alive, the event listener) stays on the JS side, in a JsJob
// held here under an id; the compute thread names the job by that id and
// never owns a JS value. A job's JsJob is removed by its last delivery, and
// while any is in flight the thread-safe function keeps the event loop alive,
// as pending work would.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace senet_binding {

// The JS side of one native job in flight (promise_job.h, train_job.cc).
class JsJob {
 public:
  virtual ~JsJob() = default;
};

class Completions {
 public:
  using Id = std::uint64_t;
  // Runs on the JS thread, with the job's JS side; may call into JS. A C++ exception it throws is dropped.
  using Delivery = std::function<void(Napi::Env, JsJob&)>;

  // Sends deliveries for one job, from any thread. Copyable; holds no JS value.
  class Sender {
   public:
    // A delivery of many (a training event).
    void send(Delivery delivery) const { post(std::move(delivery), false); }
    // The job's last delivery (its result or error); the JsJob is removed after it.
    void finish(Delivery delivery) const { post(std::move(delivery), true); }

   private:
    friend class Completions;
    struct Channel;
    Sender(std::shared_ptr<Channel> channel, Id id) : channel_(std::move(channel)), id_(id) {}
    void post(Delivery delivery, bool last) const;
    std::shared_ptr<Channel> channel_;
    Id id_;
  };

  explicit Completions(Napi::Env env);
  ~Completions();
  Completions(const Completions&) = delete;
  Completions& operator=(const Completions&) = delete;

  // JS thread: registers the JS side of a job about to be posted and returns its sender.
  Sender add(std::unique_ptr<JsJob> job);

 private:
  struct Message;
  static void callJs(napi_env env, napi_value, void* context, void* data);
  static void finalize(napi_env, void* data, void*);
  void deliver(Napi::Env env, Message& message);
  void keepLoopAlive(bool alive);

  napi_env env_;
  std::shared_ptr<Sender::Channel> channel_;
  std::unordered_map<Id, std::unique_ptr<JsJob>> jobs_;  // the JS thread's only
  Id nextId_ = 1;
};

}  // namespace senet_binding
