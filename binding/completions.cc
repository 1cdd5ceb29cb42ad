#include "completions.h"

#include "env_state.h"

namespace senet_binding {

// Shared by the JS thread and every sender. `open` turns false when Node finalizes the thread-safe function
// (the environment is ending); a sender checks it under the mutex, so no call reaches a freed function.
struct Completions::Sender::Channel {
  std::mutex mutex;
  bool open = false;
  napi_threadsafe_function function = nullptr;
};

struct Completions::Message {
  Id id;
  Delivery delivery;
  bool last;
};

void Completions::Sender::post(Delivery delivery, bool last) const {
  auto* message = new Message{id_, std::move(delivery), last};
  std::lock_guard<std::mutex> lock(channel_->mutex);
  // Non-blocking on an unbounded queue: it never waits. Refused only while the environment ends, when nobody
  // is left to receive the message (the JsJob goes with the environment).
  if (channel_->open && napi_call_threadsafe_function(channel_->function, message, napi_tsfn_nonblocking) == napi_ok) {
    return;
  }
  delete message;  // C++ state only: safe on this thread
}

Completions::Completions(Napi::Env env) : env_(env), channel_(std::make_shared<Sender::Channel>()) {
  napi_value name;
  napi_create_string_utf8(env, "senet-lab", NAPI_AUTO_LENGTH, &name);
  // The finalizer's data is a reference to the channel of its own, so it outlives this object if need be.
  auto* finalizerChannel = new std::shared_ptr<Sender::Channel>(channel_);
  napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, finalizerChannel, finalize,
                                                       this, callJs, &channel_->function);
  if (status != napi_ok) {
    delete finalizerChannel;
    NAPI_THROW_VOID(Napi::Error::New(env, "senet-lab: cannot create the completion channel"));
  }
  channel_->open = true;
  napi_unref_threadsafe_function(env, channel_->function);  // an idle addon must not keep the process alive
}

Completions::~Completions() {
  // The environment is being freed; Node has finalized the function already (it holds the environment).
  std::lock_guard<std::mutex> lock(channel_->mutex);
  channel_->open = false;
}

void Completions::finalize(napi_env, void* data, void*) {
  auto* channel = static_cast<std::shared_ptr<Sender::Channel>*>(data);
  {
    std::lock_guard<std::mutex> lock((*channel)->mutex);
    (*channel)->open = false;
  }
  delete channel;
}

Completions::Sender Completions::add(std::unique_ptr<JsJob> job) {
  const Id id = nextId_++;
  if (jobs_.empty()) keepLoopAlive(true);
  jobs_.emplace(id, std::move(job));
  return Sender(channel_, id);
}

void Completions::keepLoopAlive(bool alive) {
  std::lock_guard<std::mutex> lock(channel_->mutex);
  if (!channel_->open) return;
  if (alive) napi_ref_threadsafe_function(env_, channel_->function);
  else napi_unref_threadsafe_function(env_, channel_->function);
}

void Completions::callJs(napi_env env, napi_value, void* context, void* data) {
  std::unique_ptr<Message> message(static_cast<Message*>(data));
  // Without an environment Node is emptying the queue of a function it finalizes: drop the message.
  if (env == nullptr) return;
  static_cast<Completions*>(context)->deliver(Napi::Env(env), *message);
}

void Completions::deliver(Napi::Env env, Message& message) {
  auto found = jobs_.find(message.id);
  if (found == jobs_.end()) return;
  // A terminating environment cannot run JS (env_state.h); its jobs' results have nobody to go to. (A delivery
  // that ends the environment itself leaves its job to the next message's check, or to the environment's end.)
  const bool running = stillRunning(env);
  if (running) {
    Napi::HandleScope scope(env);
    try {
      message.delivery(env, *found->second);
    } catch (...) {
      // Deliveries settle their own promise; what is left here has nobody to tell.
    }
  }
  if (message.last || !running) {
    jobs_.erase(message.id);
    if (jobs_.empty()) keepLoopAlive(false);
  }
}

}  // namespace senet_binding
