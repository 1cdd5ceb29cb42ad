#include "dist/process_group.h"

#include "dist/dist_error.h"
#include "dist/local_address.h"
#include "dist/rendezvous.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#ifdef SENET_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#include <torch/version.h>

#ifdef SENET_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <torch/cuda.h>
#endif

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

// libtorch 2.0 split the process group into a dispatching c10d::ProcessGroup
// and per-device c10d::Backend implementations; ProcessGroupGloo and
// ProcessGroupNCCL derive from Backend there, from ProcessGroup in 1.13. The
// collective methods we call have the same signatures on both.
#if TORCH_VERSION_MAJOR >= 2
#define SENET_C10D_BACKEND_CLASS 1
#else
#define SENET_C10D_BACKEND_CLASS 0
#endif

namespace senet {

namespace {

#if SENET_C10D_BACKEND_CLASS
using C10dBackend = c10d::Backend;
#else
using C10dBackend = c10d::ProcessGroup;
#endif

std::chrono::milliseconds toMilliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

// Gloo writes to sockets without MSG_NOSIGNAL: when a peer dies, the default
// SIGPIPE action would kill this process before any error could be reported.
// Python and Node.js ignore SIGPIPE for the same reason; we only change the
// disposition when nobody has chosen one.
void ignoreSigpipeIfDefault() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
}

c10d::ReduceOp toC10d(ReduceKind op) {
  switch (op) {
    case ReduceKind::Max: return c10d::ReduceOp::MAX;
    case ReduceKind::Min: return c10d::ReduceOp::MIN;
    case ReduceKind::Sum: break;
  }
  return c10d::ReduceOp::SUM;
}

bool ncclCompiledIn() {
#ifdef SENET_WITH_NCCL
  return true;
#else
  return false;
#endif
}

}  // namespace

// Shared by a communicator and its pending collectives (which may outlive it):
// who we are, and the first failure, after which the group is out of step.
struct CommunicatorState {
  int rank = 0;
  int worldSize = 1;
  double timeoutSeconds = 300;
  std::mutex mutex;
  std::string firstFailure;

  [[noreturn]] void fail(const std::string& what, const std::string& cause) {
    const std::string message = distFailureMessage(rank, worldSize, what, cause, timeoutSeconds);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (firstFailure.empty()) firstFailure = message;
    }
    throw std::runtime_error(message);
  }

  void ensureHealthy(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    if (firstFailure.empty()) return;
    throw std::runtime_error("distributed: rank " + std::to_string(rank) + " of " + std::to_string(worldSize) + ": " +
                             what + " refused: an earlier collective failed, so the ranks are out of step and " +
                             "must all restart. The first failure: " + firstFailure);
  }
};

struct PendingCollective::State {
  c10::intrusive_ptr<c10d::Work> work;
  at::Tensor flat;                  // the buffer that travelled, when it is not the caller's tensor
  std::vector<at::Tensor> targets;  // where flat's values go back to, in order
  std::string what;
  std::shared_ptr<CommunicatorState> comm;
};

PendingCollective::PendingCollective() = default;
PendingCollective::~PendingCollective() = default;
PendingCollective::PendingCollective(PendingCollective&&) noexcept = default;
PendingCollective& PendingCollective::operator=(PendingCollective&&) noexcept = default;

bool PendingCollective::pending() const { return state_ != nullptr; }

void PendingCollective::wait() {
  if (!state_) return;
  std::unique_ptr<State> state = std::move(state_);  // done (or failed) after this call either way
  if (state->work) {
    // Gloo's own timeout (set from the same option) normally fires first and
    // says more; this bound is the backstop that guarantees no endless wait.
    const auto bound = toMilliseconds(state->comm->timeoutSeconds + 2.0);
    try {
      state->work->wait(bound);
    } catch (const std::exception& error) {
      state->comm->fail(state->what, distFailureCause(error));
    }
  }
  int64_t offset = 0;
  for (auto& target : state->targets) {
    const int64_t n = target.numel();
    target.copy_(state->flat.narrow(0, offset, n).view(target.sizes()));
    offset += n;
  }
}

struct Communicator::Impl {
  DistOptions options;
  std::string backend = "local";
  std::string listenAddress;
  c10::Device device{c10::kCPU};
  std::shared_ptr<CommunicatorState> state = std::make_shared<CommunicatorState>();
  c10::intrusive_ptr<c10d::Store> store;  // declared before pg: destroyed after it
  c10::intrusive_ptr<C10dBackend> pg;

  // Runs one c10d call; any exception becomes the communicator's failure.
  template <typename Call>
  c10::intrusive_ptr<c10d::Work> issue(const std::string& what, Call&& call) {
    state->ensureHealthy(what);
    try {
      return call();
    } catch (const std::exception& error) {
      state->fail(what, distFailureCause(error));
    }
  }

  // The single dense buffer one collective works on: the caller's tensor when
  // there is exactly one contiguous one, else a flat copy of all of them.
  at::Tensor buffer(std::vector<at::Tensor>& tensors, const std::string& what, std::vector<at::Tensor>& targets) {
    const auto& first = tensors.front();
    for (const auto& t : tensors) {
      if (!t.defined() || t.layout() != c10::kStrided || t.scalar_type() != first.scalar_type() ||
          t.device() != first.device())
        state->fail(what, "its tensors must be defined, dense, and share one dtype and device (got " +
                              std::string(t.defined() ? t.toString() : "an undefined tensor") + " next to " +
                              first.toString() + ")");
    }
    if (tensors.size() == 1 && first.is_contiguous()) return first;
    std::vector<at::Tensor> pieces;
    pieces.reserve(tensors.size());
    for (const auto& t : tensors) pieces.push_back(t.reshape({-1}));
    targets = tensors;
    return at::cat(pieces);
  }
};

Communicator::Communicator() : impl_(std::make_unique<Impl>()) {}
Communicator::~Communicator() = default;

std::shared_ptr<Communicator> Communicator::connect(const DistOptions& options) {
  validateDistOptions(options);
  std::shared_ptr<Communicator> comm(new Communicator());
  Impl& impl = *comm->impl_;
  impl.options = options;
  impl.state->rank = options.rank;
  impl.state->worldSize = options.worldSize;
  impl.state->timeoutSeconds = options.timeout;
  if (options.worldSize == 1) return comm;

  std::string backend = options.backend;
  if (backend == "auto") {
#ifdef SENET_WITH_NCCL
    backend = torch::cuda::is_available() ? "nccl" : "gloo";
#else
    backend = "gloo";
#endif
  }
  if (backend == "nccl" && !ncclCompiledIn())
    throw std::invalid_argument("distributed: backend 'nccl' needs a libtorch with CUDA and the NCCL headers at "
                                "build time; this build has neither: use 'gloo' (or 'auto')");
  impl.backend = backend;
  ignoreSigpipeIfDefault();

  impl.store = rendezvous(options);
  // Our keys live beside the rendezvous keys in the same store.
  c10::intrusive_ptr<c10d::Store> pgStore = c10::make_intrusive<c10d::PrefixStore>("senet/" + backend, impl.store);

  if (backend == "gloo") connectGloo(impl, pgStore, options);
#ifdef SENET_WITH_NCCL
  else if (backend == "nccl") connectNccl(impl, pgStore, options);
#endif
  return comm;
}

void Communicator::connectGloo(Impl& impl, const c10::intrusive_ptr<c10d::Store>& pgStore, const DistOptions& options) {
#ifndef SENET_WITH_GLOO
  impl.state->fail("connecting with Gloo", "this build has no Gloo (its headers were not found when it was built: install "
                                           "libgloo-dev or pass -DGLOO_INCLUDE_DIR, or use backend 'nccl' on CUDA)");
#else
  const auto timeout = toMilliseconds(options.timeout);
  std::string local = options.interface;
  if (local.empty()) {
    try {
      local = localAddressToward(options.masterAddr, options.masterPort);
    } catch (const std::exception& error) {
      impl.state->fail("choosing the local address for Gloo", error.what() + std::string(" (set the interface option)"));
    }
  }
  impl.listenAddress = local;
  auto glooOptions = c10d::ProcessGroupGloo::Options::create(timeout);
  try {
    glooOptions->devices.push_back(isNetworkInterface(local)
                                       ? c10d::ProcessGroupGloo::createDeviceForInterface(local)
                                       : c10d::ProcessGroupGloo::createDeviceForHostname(local));
  } catch (const std::exception& error) {
    impl.state->fail("opening a Gloo device on '" + local + "'", distFailureCause(error));
  }
  try {
    impl.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(pgStore, options.rank, options.worldSize, glooOptions);
  } catch (const std::exception& error) {
    impl.state->fail("connecting the Gloo process group (listening on " + local + ")", distFailureCause(error));
  }
#endif
}

#ifdef SENET_WITH_NCCL
void Communicator::connectNccl(Impl& impl, const c10::intrusive_ptr<c10d::Store>& pgStore, const DistOptions& options) {
  const auto timeout = toMilliseconds(options.timeout);
  if (!torch::cuda::is_available() || options.localRank >= static_cast<int>(torch::cuda::device_count()))
    throw std::invalid_argument("distributed: backend 'nccl' needs CUDA device " + std::to_string(options.localRank) +
                                " (localRank) but " + std::to_string(torch::cuda::device_count()) +
                                " are visible");
  // NCCL binds a communicator to the current device.
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(options.localRank));
  // Without blocking wait, ProcessGroupNCCL's timeout only arms a watchdog
  // that tears the process down; with it, Work::wait() throws, which is what
  // lets us report a dead or hung peer as an error. Read at construction;
  // a value the user set is kept. (The variable was renamed in 2.2.)
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
  setenv("TORCH_NCCL_BLOCKING_WAIT", "1", /*overwrite=*/0);
#else
  setenv("NCCL_BLOCKING_WAIT", "1", /*overwrite=*/0);
#endif
  impl.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(options.localRank));
  auto ncclOptions = c10d::ProcessGroupNCCL::Options::create();
  ncclOptions->timeout = timeout;
  try {
    impl.pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(pgStore, options.rank, options.worldSize, ncclOptions);
  } catch (const std::exception& error) {
    impl.state->fail("creating the NCCL process group", distFailureCause(error));
  }
}
#endif

int Communicator::rank() const { return impl_->options.rank; }
int Communicator::worldSize() const { return impl_->options.worldSize; }
const DistOptions& Communicator::options() const { return impl_->options; }
const std::string& Communicator::backend() const { return impl_->backend; }
c10::Device Communicator::device() const { return impl_->device; }
const std::string& Communicator::listenAddress() const { return impl_->listenAddress; }

void Communicator::fail(const std::string& what, const std::string& cause) { impl_->state->fail(what, cause); }

PendingCollective Communicator::allReduceAsync(std::vector<at::Tensor> tensors, const std::string& what,
                                               ReduceKind op) {
  PendingCollective pending;
  if (tensors.empty() || !impl_->pg) return pending;  // one rank: the sum is the tensor itself
  auto state = std::make_unique<PendingCollective::State>();
  state->what = what;
  state->comm = impl_->state;
  state->flat = impl_->buffer(tensors, what, state->targets);
  state->work = impl_->issue(what, [&] {
    std::vector<at::Tensor> io{state->flat};
    c10d::AllreduceOptions opts;
    opts.reduceOp = toC10d(op);
    return impl_->pg->allreduce(io, opts);
  });
  pending.state_ = std::move(state);
  return pending;
}

void Communicator::allReduce(std::vector<at::Tensor> tensors, const std::string& what, ReduceKind op) {
  allReduceAsync(std::move(tensors), what, op).wait();
}

void Communicator::broadcast(std::vector<at::Tensor> tensors, int root, const std::string& what) {
  if (tensors.empty() || !impl_->pg) return;
  if (root < 0 || root >= worldSize())
    fail(what, "root rank " + std::to_string(root) + " is outside 0.." + std::to_string(worldSize() - 1));
  PendingCollective pending;
  auto state = std::make_unique<PendingCollective::State>();
  state->what = what;
  state->comm = impl_->state;
  state->flat = impl_->buffer(tensors, what, state->targets);
  if (rank() == root) state->targets.clear();  // the root's values are already in place
  state->work = impl_->issue(what, [&] {
    std::vector<at::Tensor> io{state->flat};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    opts.rootTensor = 0;
    return impl_->pg->broadcast(io, opts);
  });
  pending.state_ = std::move(state);
  pending.wait();
}

std::vector<at::Tensor> Communicator::allGather(const at::Tensor& tensor, const std::string& what) {
  if (!impl_->pg) return {tensor.clone()};
  std::vector<at::Tensor> inputs{tensor.contiguous()};
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < worldSize(); ++r) outputs[0].push_back(at::empty_like(inputs[0]));
  PendingCollective pending;
  auto state = std::make_unique<PendingCollective::State>();
  state->what = what;
  state->comm = impl_->state;
  state->work = impl_->issue(what, [&] { return impl_->pg->allgather(outputs, inputs); });
  pending.state_ = std::move(state);
  pending.wait();
  return outputs[0];
}

void Communicator::barrier(const std::string& what) {
  if (!impl_->pg) return;
  PendingCollective pending;
  auto state = std::make_unique<PendingCollective::State>();
  state->what = what;
  state->comm = impl_->state;
  state->work = impl_->issue(what, [&] { return impl_->pg->barrier(); });
  pending.state_ = std::move(state);
  pending.wait();
}

}  // namespace senet
