#pragma once

// Making ranks agree on state, as DistributedDataParallel does: the same
// initial weights everywhere (parameters and buffers from rank 0 when the
// model is wrapped), buffers from rank 0 before each forward
// (broadcast_buffers=True), and any named tensors from one rank (optimizer
// state on resume when only rank 0 read the checkpoint).

#include "dist/process_group.h"

#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

namespace senet {

// The same type as io/safetensors.h's NamedTensors (a repeated alias of one
// type is allowed), so state dicts from model/state_dict.h pass straight in.
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Throws (on every rank) unless all ranks passed the same number of tensors
// with the same names, shapes and dtypes: the check DDP makes before its
// first broadcast, since mismatched collectives would mix unrelated values.
void verifySameTensors(Communicator& comm, const NamedTensors& tensors, const std::string& what);

// Overwrites the tensors on every rank with root's values, in place.
// Coalesced into flat buffers of at most 250 MiB per dtype (DDP's
// broadcast_bucket_size). verify: run verifySameTensors first.
void broadcastInPlace(Communicator& comm, const NamedTensors& tensors, int root, const std::string& what,
                      bool verify = true);

// Parameters and buffers (recursively, in named_parameters/named_buffers
// order) from root: identical initial weights. Checks the structure first.
void broadcastFromRoot(torch::nn::Module& module, Communicator& comm, int root = 0);

// Buffers only (BatchNorm running stats, num_batches_tracked) from root — what
// DDP does at every forward with broadcast_buffers=True. Not re-verified each
// step: broadcastFromRoot checked the structure once.
void broadcastBuffers(torch::nn::Module& module, Communicator& comm, int root = 0);

// root's list — names, shapes, dtypes and values — on every rank, whatever the
// other ranks passed (they may have nothing yet, e.g. no momentum buffers
// before the first step). Non-root ranks get new tensors on comm.device();
// root gets its own tensors back. Names must not contain '\n' or '\t'.
NamedTensors broadcastNamedTensors(Communicator& comm, const NamedTensors& onRoot, int root = 0,
                                               const std::string& what = "broadcast of named tensors");

}  // namespace senet
