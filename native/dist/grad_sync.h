#pragma once

// Gradient averaging with DistributedDataParallel's semantics, on our own
// buckets.
//
// Parameters are grouped into flat buckets in reverse order — the order in
// which backward produces their gradients — the first bucket capped at 1 MiB
// so its all-reduce starts early, the others at 25 MiB (DDP's defaults and
// its steady-state layout after the first iteration's bucket rebuild). A hook
// on each parameter copies its gradient into the bucket, divided by the world
// size on the way (DDP divides before the all-reduce); when a bucket is full
// its all-reduce (SUM) is launched, always in bucket index order on every rank
// (Gloo matches collectives by order), so communication overlaps the rest of
// backward. finish() launches what is left — a parameter that got no gradient
// contributes zeros, as with find_unused_parameters — waits, and writes the
// average into each parameter's grad.
//
// Use per step:  prepare(); loss.backward(); finish(); optimizer.step();
// Between prepare() and finish() a parameter's grad holds only this backward's
// local gradient; finish() makes it previous + average, which is DDP's result
// whenever the previous grads were synchronised too (or zero / undefined).
// Not thread-safe: prepare, backward and finish run one after another (the
// hooks run on autograd's thread while the caller waits in backward()).

#include "dist/process_group.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace senet {

struct GradSyncOptions {
  int64_t firstBucketBytes = 1024 * 1024;  // torch.distributed._DEFAULT_FIRST_BUCKET_BYTES
  int64_t bucketBytes = 25 * 1024 * 1024;  // DDP's bucket_cap_mb = 25
};

// Bucket layout, exposed for tests and logs: parameter indices (into the list
// GradSync was given) in bucket order, and the bucket's size in bytes.
struct GradBucket {
  std::vector<size_t> parameters;
  int64_t bytes = 0;
};

// DDP's compute_bucket_assignment_by_size over the parameters in reverse
// order: one open bucket per (dtype, device); a bucket closes once it reaches
// its cap, the first one per (dtype, device) at firstBucketBytes, later ones
// at bucketBytes. Buckets are ordered by when their first gradient is expected.
std::vector<GradBucket> assignGradBuckets(const std::vector<at::Tensor>& parameters, int64_t firstBucketBytes,
                                          int64_t bucketBytes);

class GradSync {
 public:
  // parameters: the model's parameters in module order (module.parameters());
  // those that do not require grad are skipped. Checks that every rank has
  // the same parameters (count, shapes, dtypes) — a collective.
  GradSync(std::vector<at::Tensor> parameters, std::shared_ptr<Communicator> comm, GradSyncOptions options = {});
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // Arms the hooks for the next backward. Throws std::logic_error if the
  // previous step was not finished.
  void prepare();
  // After backward, before the optimizer step: launches the remaining
  // buckets, waits, writes the averaged gradients. Throws the communicator's
  // std::runtime_error when a peer failed.
  void finish();
  // For error paths between prepare() and finish(): waits for the buckets in
  // flight (ignoring their errors), restores the grads, disarms. The other
  // ranks are then out of step: only use it on the way to shutting down.
  void abandon() noexcept;

  bool armed() const { return armed_; }
  const std::vector<at::Tensor>& parameters() const { return params_; }
  const std::vector<GradBucket>& buckets() const { return layout_; }
  // Buckets whose all-reduce was launched from a hook during the last
  // backward, i.e. overlapped with it (the rest were launched by finish()).
  int launchedDuringBackward() const { return launchedInBackward_; }

 private:
  struct Slot {
    size_t bucket = 0;
    int64_t offset = 0;  // in elements, within the bucket's flat buffer
    int64_t numel = 0;
  };
  struct Bucket {
    at::Tensor flat;
    size_t pending = 0;  // gradients still to arrive this step
    PendingCollective work;
  };

  void onGradient(size_t index, const at::Tensor& grad);
  void launchReady(bool fromHook);
  void launch(size_t bucket);
  at::Tensor slotView(size_t index) const;

  std::shared_ptr<Communicator> comm_;
  std::vector<at::Tensor> params_;
  std::vector<GradBucket> layout_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<unsigned> hookHandles_;
  std::vector<char> ready_;          // per parameter: gradient arrived this step
  std::vector<at::Tensor> previous_; // per parameter: grad before this backward, added back in finish()
  at::Tensor scale_;                 // 1 / worldSize as a wrapped scalar, so that it multiplies like a Python number
  size_t nextLaunch_ = 0;
  int launchedInBackward_ = 0;
  bool armed_ = false;
};

}  // namespace senet
