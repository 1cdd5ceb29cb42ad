#include "dist/grad_sync.h"

#include "dist/module_sync.h"

#include <ATen/ATen.h>
#include <ATen/ScalarOps.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

namespace senet {

std::vector<GradBucket> assignGradBuckets(const std::vector<at::Tensor>& parameters, int64_t firstBucketBytes,
                                          int64_t bucketBytes) {
  struct Open {
    GradBucket bucket;
    bool closedOne = false;  // the first cap applies until one bucket of this key has closed
  };
  using Key = std::pair<int, std::string>;  // dtype, device
  std::map<Key, Open> open;
  std::vector<GradBucket> closed;
  for (size_t k = parameters.size(); k-- > 0;) {
    const auto& p = parameters[k];
    Open& o = open[{static_cast<int>(p.scalar_type()), p.device().str()}];
    o.bucket.parameters.push_back(k);
    o.bucket.bytes += p.numel() * static_cast<int64_t>(p.element_size());
    if (o.bucket.bytes >= (o.closedOne ? bucketBytes : firstBucketBytes)) {
      closed.push_back(std::move(o.bucket));
      o.bucket = GradBucket{};
      o.closedOne = true;
    }
  }
  for (auto& entry : open)
    if (!entry.second.bucket.parameters.empty()) closed.push_back(std::move(entry.second.bucket));
  // Reverse order is the expected gradient order: a bucket whose first
  // parameter comes later in the model is expected earlier.
  std::stable_sort(closed.begin(), closed.end(), [](const GradBucket& a, const GradBucket& b) {
    return a.parameters.front() > b.parameters.front();
  });
  return closed;
}

GradSync::GradSync(std::vector<at::Tensor> parameters, std::shared_ptr<Communicator> comm, GradSyncOptions options)
    : comm_(std::move(comm)) {
  if (!comm_) throw std::invalid_argument("GradSync: no communicator");
  if (options.firstBucketBytes <= 0 || options.bucketBytes <= 0)
    throw std::invalid_argument("GradSync: bucket sizes must be positive");
  for (auto& p : parameters)
    if (p.defined() && p.requires_grad()) params_.push_back(p);
  if (comm_->worldSize() == 1) return;  // nothing to average: no hooks, no buffers

  NamedTensors shapes;
  for (size_t i = 0; i < params_.size(); ++i) shapes.push_back({std::to_string(i), params_[i]});
  verifySameTensors(*comm_, shapes, "gradient synchronisation setup");

  layout_ = assignGradBuckets(params_, options.firstBucketBytes, options.bucketBytes);
  slots_.resize(params_.size());
  buckets_.resize(layout_.size());
  for (size_t b = 0; b < layout_.size(); ++b) {
    int64_t offset = 0;
    for (size_t index : layout_[b].parameters) {
      slots_[index] = Slot{b, offset, params_[index].numel()};
      offset += params_[index].numel();
    }
    const auto& first = params_[layout_[b].parameters.front()];
    buckets_[b].flat = at::zeros({offset}, first.options().requires_grad(false));
  }
  ready_.assign(params_.size(), 0);
  previous_.resize(params_.size());
  // DDP multiplies by 1/worldSize while copying into the bucket, with the
  // factor as a wrapped number (rounds as a Python float scalar would).
  scale_ = c10::scalar_to_tensor(at::Scalar(1.0 / comm_->worldSize()));
  scale_.unsafeGetTensorImpl()->set_wrapped_number(true);
  for (size_t i = 0; i < params_.size(); ++i)
    hookHandles_.push_back(params_[i].register_hook([this, i](const at::Tensor& grad) { onGradient(i, grad); }));
}

GradSync::~GradSync() {
  for (size_t i = 0; i < hookHandles_.size(); ++i) params_[i].remove_hook(hookHandles_[i]);
  if (armed_) abandon();
}

at::Tensor GradSync::slotView(size_t index) const {
  const Slot& slot = slots_[index];
  return buckets_[slot.bucket].flat.narrow(0, slot.offset, slot.numel).view(params_[index].sizes());
}

void GradSync::prepare() {
  if (armed_)
    throw std::logic_error("GradSync::prepare(): the previous step was not finished (call finish() after each "
                           "backward, or abandon() on an error path); the ranks would fall out of step");
  if (comm_->worldSize() == 1) return;
  for (size_t i = 0; i < params_.size(); ++i) {
    ready_[i] = 0;
    // Backward then leaves only this step's local gradient in grad;
    // finish() adds the average back onto the previous value.
    previous_[i] = params_[i].grad();
    if (previous_[i].defined()) params_[i].mutable_grad() = at::Tensor();
  }
  for (size_t b = 0; b < buckets_.size(); ++b) buckets_[b].pending = layout_[b].parameters.size();
  nextLaunch_ = 0;
  launchedInBackward_ = 0;
  armed_ = true;
}

void GradSync::onGradient(size_t index, const at::Tensor& grad) {
  if (!armed_) return;  // a backward outside prepare()/finish() stays local
  if (ready_[index])
    throw std::logic_error("GradSync: parameter " + std::to_string(index) +
                           " received a second gradient in one step (a second backward before finish()?)");
  if (!grad.defined() || grad.layout() != c10::kStrided)
    throw std::invalid_argument("GradSync: parameter " + std::to_string(index) +
                                " has an undefined or sparse gradient, which is not supported");
  at::NoGradGuard noGrad;
  at::Tensor view = slotView(index);
  at::mul_out(view, grad, scale_);  // copy and divide in one pass, as DDP does
  ready_[index] = 1;
  Bucket& bucket = buckets_[slots_[index].bucket];
  if (--bucket.pending == 0) launchReady(/*fromHook=*/true);
}

void GradSync::launchReady(bool fromHook) {
  // Strictly in index order: a full bucket waits for the ones before it.
  while (nextLaunch_ < buckets_.size() && buckets_[nextLaunch_].pending == 0) {
    launch(nextLaunch_++);
    if (fromHook) ++launchedInBackward_;
  }
}

void GradSync::launch(size_t b) {
  buckets_[b].work = comm_->allReduceAsync({buckets_[b].flat}, "all-reduce of gradients (bucket " +
                                                                   std::to_string(b + 1) + " of " +
                                                                   std::to_string(buckets_.size()) + ")");
}

void GradSync::finish() {
  if (comm_->worldSize() == 1) return;
  if (!armed_) throw std::logic_error("GradSync::finish() without prepare() before backward");
  armed_ = false;
  at::NoGradGuard noGrad;
  try {
    // Parameters that got no gradient contribute zeros (find_unused_parameters).
    for (size_t b = nextLaunch_; b < buckets_.size(); ++b) {
      if (buckets_[b].pending > 0)
        for (size_t index : layout_[b].parameters)
          if (!ready_[index]) slotView(index).zero_();
      buckets_[b].pending = 0;
    }
    launchReady(/*fromHook=*/false);
    for (auto& bucket : buckets_) bucket.work.wait();
  } catch (...) {
    for (size_t i = 0; i < params_.size(); ++i)
      if (previous_[i].defined()) params_[i].mutable_grad() = std::move(previous_[i]);
    throw;
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor average = slotView(i);
    at::Tensor& grad = params_[i].mutable_grad();
    if (previous_[i].defined()) {
      grad = std::move(previous_[i]);
      grad.add_(average);
    } else if (grad.defined()) {
      grad.copy_(average);
    } else {
      grad = average.clone();  // unused here, perhaps used on another rank
    }
    previous_[i] = at::Tensor();
  }
}

void GradSync::abandon() noexcept {
  if (!armed_) return;
  armed_ = false;
  for (auto& bucket : buckets_) {
    try {
      bucket.work.wait();
    } catch (...) {
    }
    bucket.pending = 0;
  }
  for (size_t i = 0; i < params_.size(); ++i)
    if (previous_[i].defined()) params_[i].mutable_grad() = std::move(previous_[i]);
}

}  // namespace senet
