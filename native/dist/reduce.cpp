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
  std::vector<PendingCollective> pending;
  pending.reserve(groups.size());
  for (auto& group : groups) pending.push_back(comm.allReduceAsync(group.second, what));
  for (auto& p : pending) p.wait();
}

}  // namespace senet
