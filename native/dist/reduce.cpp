#include "dist/reduce.h"

#include <ATen/ATen.h>

#include <utility>

namespace senet {

void allReduceSum(Communicator& comm, std::vector<at::Tensor>& tensors, const std::string& what) {
  if (comm.worldSize() == 1) return;
  // Group by (dtype, device), keeping first-appearance order so that every
  // rank issues the same collectives in the same order. Integer counts stay
  // integers: exact however many samples.
  std::vector<std::pair<std::pair<at::ScalarType, c10::Device>, std::vector<at::Tensor>>> groups;
  for (const auto& t : tensors) {
    const auto key = std::make_pair(t.scalar_type(), t.device());
    auto it = groups.begin();
    while (it != groups.end() && it->first != key) ++it;
    if (it == groups.end()) it = groups.insert(groups.end(), {key, {}});
    it->second.push_back(t);
  }
  // Metrics may live anywhere (CPU counters, CUDA loss sums); they travel on
  // the communicator's device (NCCL takes only CUDA tensors) and come back.
  std::vector<PendingCollective> pending;
  std::vector<std::pair<std::vector<at::Tensor>, std::vector<at::Tensor>>> moved;  // (originals, copies)
  pending.reserve(groups.size());
  for (auto& group : groups) {
    std::vector<at::Tensor> travelling = group.second;
    if (group.first.second != comm.device()) {
      for (auto& t : travelling) t = t.to(comm.device());
      moved.push_back({group.second, travelling});
    }
    pending.push_back(comm.allReduceAsync(travelling, what));
  }
  for (auto& p : pending) p.wait();
  for (auto& [originals, copies] : moved)
    for (size_t i = 0; i < originals.size(); ++i) originals[i].copy_(copies[i]);
}

}  // namespace senet
