#pragma once

// One process's membership in a data-parallel job: rendezvous through a
// c10d::TCPStore hosted by rank 0, then a c10d process group — Gloo on CPU,
// NCCL on CUDA where the linked libtorch has it — behind a small interface.
//
// Collectives are matched across processes by the order in which they are
// issued (Gloo tags them with a counter), so every rank must issue the same
// collectives in the same order, and one Communicator must not be used from
// two threads at once. Every failure (a peer never arrives, exits, hangs,
// closes its connection) becomes a std::runtime_error that names this rank, the
// world size, the operation and the cause; after one, the communicator refuses
// further collectives (the ranks are out of step and must all restart).

#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <c10/util/intrusive_ptr.h>

#include <memory>
#include <string>
#include <vector>

namespace c10d {
class Store;
}

namespace senet {

struct DistOptions {
  std::string masterAddr = "127.0.0.1";  // host of rank 0's TCPStore (torchrun: MASTER_ADDR)
  int masterPort = 29500;                // its port (MASTER_PORT)
  int rank = 0;                          // this process, 0..worldSize-1 (RANK)
  int worldSize = 1;                     // number of processes (WORLD_SIZE)
  int localRank = 0;                     // index on this host: the CUDA device for NCCL (LOCAL_RANK)
  double timeout = 300;                  // seconds: rendezvous, connection and every collective
  std::string backend = "auto";          // "gloo" | "nccl" | "auto" (nccl when built with it and CUDA is present)
  // Gloo's local side: an interface name ("eth0") or a local address/hostname.
  // Empty: the local address that routes to masterAddr, which peers can reach
  // on one host, across hosts and across network namespaces.
  std::string interface;
};

// Throws std::invalid_argument naming the field, the value and what is valid.
void validateDistOptions(const DistOptions& options);

// torchrun's environment (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE,
// LOCAL_RANK) over base; variables that are not set keep base's values.
// Throws std::invalid_argument for a variable that is not a number.
DistOptions distOptionsFromEnvironment(DistOptions base = {});

enum class ReduceKind { Sum, Max, Min };

struct CommunicatorState;

// A collective in flight. wait() blocks until it has completed on this rank
// (its result is then in the tensors it was given) or throws the
// communicator's error. Waiting twice is harmless; an empty handle is done.
class PendingCollective {
 public:
  PendingCollective();
  ~PendingCollective();
  PendingCollective(PendingCollective&&) noexcept;
  PendingCollective& operator=(PendingCollective&&) noexcept;

  void wait();
  bool pending() const;

 private:
  friend class Communicator;
  struct State;
  std::unique_ptr<State> state_;
};

class Communicator {
 public:
  // Rendezvous and connect. worldSize 1 needs no store or network: every
  // collective is then the identity, so single-process code runs unchanged.
  static std::shared_ptr<Communicator> connect(const DistOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int worldSize() const;
  const DistOptions& options() const;
  const std::string& backend() const;    // "gloo", "nccl", or "local" (worldSize 1)
  c10::Device device() const;            // where collective tensors must live (cuda:localRank for nccl)
  const std::string& listenAddress() const;  // Gloo's local address or interface ("" otherwise)

  // Element-wise SUM over all ranks, in place. All tensors must share dtype
  // and device; several (or non-contiguous) tensors travel as one flat buffer
  // and are copied back when the collective is waited for. `what` names the
  // operation in errors ("all-reduce of gradients (bucket 2 of 5)").
  PendingCollective allReduceAsync(std::vector<at::Tensor> tensors, const std::string& what,
                                   ReduceKind op = ReduceKind::Sum);
  void allReduce(std::vector<at::Tensor> tensors, const std::string& what, ReduceKind op = ReduceKind::Sum);
  // Rank root's values into the tensors of every rank, in place.
  void broadcast(std::vector<at::Tensor> tensors, int root, const std::string& what);
  // Every rank's tensor (same shape and dtype everywhere), in rank order.
  std::vector<at::Tensor> allGather(const at::Tensor& tensor, const std::string& what);
  void barrier(const std::string& what);

  // Records the first failure and throws it as the error described above.
  [[noreturn]] void fail(const std::string& what, const std::string& cause);

 private:
  Communicator();
  struct Impl;
  // The process group on top of the rendezvous store (process_group.cpp).
  static void connectGloo(Impl& impl, const c10::intrusive_ptr<c10d::Store>& store, const DistOptions& options);
#ifdef SENET_WITH_NCCL
  static void connectNccl(Impl& impl, const c10::intrusive_ptr<c10d::Store>& store, const DistOptions& options);
#endif
  std::unique_ptr<Impl> impl_;
};

}  // namespace senet
