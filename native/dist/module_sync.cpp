#include "dist/module_sync.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace senet {

namespace {

constexpr int64_t kBroadcastBucketBytes = 250LL * 1024 * 1024;  // DDP's broadcast_bucket_size

// FNV-1a over the structure; 62 bits so that -h below cannot overflow.
int64_t fingerprint(const NamedTensors& tensors) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](const void* data, size_t n) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 1099511628211ULL;
  };
  const uint64_t count = tensors.size();
  mix(&count, sizeof(count));
  for (const auto& t : tensors) {
    mix(t.first.data(), t.first.size());
    const int32_t dtype = static_cast<int32_t>(t.second.scalar_type());
    mix(&dtype, sizeof(dtype));
    for (int64_t size : t.second.sizes()) mix(&size, sizeof(size));
    mix("|", 1);
  }
  return static_cast<int64_t>(h & ((1ULL << 62) - 1));
}

NamedTensors moduleState(torch::nn::Module& module, bool parameters) {
  NamedTensors state;
  if (parameters)
    for (const auto& item : module.named_parameters(/*recurse=*/true)) state.push_back({item.key(), item.value()});
  for (const auto& item : module.named_buffers(/*recurse=*/true)) state.push_back({item.key(), item.value()});
  return state;
}

}  // namespace

void verifySameTensors(Communicator& comm, const NamedTensors& tensors, const std::string& what) {
  if (comm.worldSize() == 1) return;
  const int64_t h = fingerprint(tensors);
  // One MAX all-reduce of (h, -h) yields (max h, -min h): equal iff all agree.
  auto both = at::tensor(std::vector<int64_t>{h, -h}, at::kLong).to(comm.device());
  comm.allReduce({both}, what + " (checking that all ranks hold the same tensors)", ReduceKind::Max);
  both = both.cpu();
  if (both[0].item<int64_t>() != -both[1].item<int64_t>())
    comm.fail(what, "the ranks hold different tensors (count, names, shapes or dtypes differ; " +
                        std::to_string(tensors.size()) + " here): build the same model with the same options on "
                        "every rank");
}

void broadcastInPlace(Communicator& comm, const NamedTensors& tensors, int root, const std::string& what,
                      bool verify) {
  if (comm.worldSize() == 1) return;
  if (verify) verifySameTensors(comm, tensors, what);
  torch::NoGradGuard noGrad;  // parameters are leaves that require grad; this is not part of any graph
  // Consecutive tensors of one dtype and device travel together, up to the cap.
  std::vector<at::Tensor> chunk;
  int64_t chunkBytes = 0;
  auto flush = [&] {
    if (!chunk.empty()) comm.broadcast(chunk, root, what);
    chunk.clear();
    chunkBytes = 0;
  };
  for (const auto& named : tensors) {
    at::Tensor t = named.second.detach();
    const int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
    if (!chunk.empty() && (chunk.front().scalar_type() != t.scalar_type() || chunk.front().device() != t.device() ||
                           chunkBytes + bytes > kBroadcastBucketBytes))
      flush();
    chunk.push_back(t);
    chunkBytes += bytes;
  }
  flush();
}

void broadcastFromRoot(torch::nn::Module& module, Communicator& comm, int root) {
  broadcastInPlace(comm, moduleState(module, true), root, "broadcast of initial parameters and buffers from rank " +
                                                              std::to_string(root));
}

void broadcastBuffers(torch::nn::Module& module, Communicator& comm, int root) {
  broadcastInPlace(comm, moduleState(module, false), root, "broadcast of buffers from rank " + std::to_string(root),
                   /*verify=*/false);
}

NamedTensors broadcastNamedTensors(Communicator& comm, const NamedTensors& onRoot, int root,
                                               const std::string& what) {
  if (comm.worldSize() == 1) return onRoot;
  const bool isRoot = comm.rank() == root;
  // 1. The root's description — "name\tdtype\tsize,size,...\n" per tensor —
  //    as bytes: its length first, then the text.
  std::string description;
  if (isRoot) {
    std::ostringstream text;
    for (const auto& t : onRoot) {
      if (t.first.find_first_of("\t\n") != std::string::npos)
        comm.fail(what, "tensor name '" + t.first + "' contains a tab or newline");
      text << t.first << '\t' << static_cast<int>(t.second.scalar_type()) << '\t';
      for (int64_t d = 0; d < t.second.dim(); ++d) text << (d ? "," : "") << t.second.size(d);
      text << '\n';
    }
    description = text.str();
  }
  const auto byteOptions = at::TensorOptions().dtype(at::kByte).device(comm.device());
  auto length = at::tensor(std::vector<int64_t>{static_cast<int64_t>(description.size())}, at::kLong).to(comm.device());
  comm.broadcast({length}, root, what + " (names and shapes)");
  const int64_t n = length.cpu().item<int64_t>();
  auto bytes = at::empty({n}, byteOptions.device(at::kCPU));
  if (isRoot && n > 0) std::memcpy(bytes.data_ptr(), description.data(), static_cast<size_t>(n));
  bytes = bytes.to(comm.device());
  if (n > 0) comm.broadcast({bytes}, root, what + " (names and shapes)");
  if (isRoot) {
    // Receivers allocate on comm.device(); chunking (by dtype and device)
    // must come out the same on both sides.
    NamedTensors sending;
    for (const auto& t : onRoot) sending.push_back({t.first, t.second.to(comm.device())});
    broadcastInPlace(comm, sending, root, what, /*verify=*/false);
    return onRoot;
  }
  bytes = bytes.cpu();
  description.assign(static_cast<const char*>(bytes.data_ptr()), static_cast<size_t>(n));
  // 2. Allocate the same tensors here, then receive the values.
  NamedTensors received;
  std::istringstream lines(description);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name, dtype, sizes;
    std::getline(fields, name, '\t');
    std::getline(fields, dtype, '\t');
    std::getline(fields, sizes);
    std::vector<int64_t> shape;
    std::istringstream dims(sizes);
    for (std::string d; std::getline(dims, d, ',');) shape.push_back(std::stoll(d));
    const auto type = static_cast<at::ScalarType>(std::stoi(dtype));
    received.push_back({name, at::empty(shape, at::TensorOptions().dtype(type).device(comm.device()))});
  }
  broadcastInPlace(comm, received, root, what, /*verify=*/false);
  return received;
}

}  // namespace senet
