#include "data/loader.h"

#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>

#include "runtime/runtime.h"

namespace senet {

BatchOrder::BatchOrder(int64_t size, const LoaderOptions& o)
    : size_(size), batchSize_(o.batchSize), rank_(o.rank), worldSize_(o.worldSize), shuffle_(o.shuffle),
      padShards_(o.padShards), seed_(o.seed) {
  if (o.worldSize < 1 || o.rank < 0 || o.rank >= o.worldSize) {
    throw std::invalid_argument("shard: rank must be in [0, worldSize), got rank " + std::to_string(o.rank) +
                                " of " + std::to_string(o.worldSize));
  }
  // DistributedSampler: pad the order to a multiple of worldSize, then stride.
  // Unpadded: the samples rank, rank + worldSize, ... only.
  shardSize_ = padShards_ ? (size + worldSize_ - 1) / worldSize_ : std::max<int64_t>(size - rank_ + worldSize_ - 1, 0) / worldSize_;
  stepsPerEpoch_ = o.dropLast ? shardSize_ / batchSize_ : (shardSize_ + batchSize_ - 1) / batchSize_;
  if (stepsPerEpoch_ < 1 && padShards_) {
    throw std::invalid_argument("batchSize " + std::to_string(batchSize_) + " is larger than the training set (" +
                                std::to_string(shardSize_) + " samples" +
                                (worldSize_ > 1 ? " in this shard" : "") + ") with dropLast");
  }
}

torch::Tensor BatchOrder::shard(int64_t epoch) const {
  torch::Tensor order;
  if (shuffle_) {
    // The same (seed, epoch) mixing as per-sample transforms, so neighbouring pairs are unrelated.
    auto generator = at::detail::createCPUGenerator(SampleRandom(seed_, epoch, -1).bits());
    order = torch::randperm(size_, generator, torch::kInt64);
  } else {
    order = torch::arange(size_, torch::kInt64);
  }
  if (worldSize_ == 1) return order;
  if (!padShards_) return order.slice(0, rank_, size_, worldSize_).contiguous();
  const int64_t padded = shardSize_ * worldSize_;
  if (padded > size_) order = torch::cat({order, order.narrow(0, 0, padded - size_)});
  return order.slice(0, rank_, padded, worldSize_).contiguous();
}

torch::Tensor BatchOrder::indices(int64_t iteration) const {
  const int64_t epoch = epochOf(iteration);
  torch::Tensor order;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(epoch);
    if (it == cache_.end()) {
      if (cache_.size() >= 3) cache_.erase(cache_.begin());
      it = cache_.emplace(epoch, shard(epoch)).first;
    }
    order = it->second;
  }
  const int64_t start = (iteration % stepsPerEpoch_) * batchSize_;
  return order.slice(0, start, std::min(start + batchSize_, shardSize_));
}

Loader::Loader(std::shared_ptr<const DataSource> source, LoaderOptions options)
    : source_(std::move(source)), options_(options), order_(source_->size(), options_) {
  if (options_.workers < 0) throw std::invalid_argument("workers must be >= 0");
  if (options_.prefetch < 1) throw std::invalid_argument("prefetch must be >= 1");
  if (order_.stepsPerEpoch() == 0) return;  // an empty evaluation shard: nothing to prefetch
  for (int64_t w = 0; w < options_.workers; ++w) threads_.emplace_back([this] { work(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

Batch Loader::build(int64_t iteration) const {
  const auto indices = order_.indices(iteration);
  Batch b{source_->samplesAt(indices, options_.seed, order_.epochOf(iteration)), source_->labelsAt(indices)};
  if (options_.pinMemory) {
    b.images = b.images.pin_memory();
    b.labels = b.labels.pin_memory();
  }
  return b;
}

void Loader::work() {
  // Workers share the cores with training: one intra-op thread each.
  useSingleThread();
  while (true) {
    int64_t iteration;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || next_ < wanted_ + options_.prefetch * options_.workers; });
      if (stopping_) return;
      iteration = next_++;
    }
    Batch batch;
    std::exception_ptr error;
    try {
      batch = build(iteration);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (iteration >= wanted_) {  // results behind a jump are dropped
        if (error) failed_[iteration] = error;
        else ready_[iteration] = std::move(batch);
      }
    }
    changed_.notify_all();
  }
}

Batch Loader::batch(int64_t iteration) {
  if (threads_.empty()) return build(iteration);
  std::unique_lock<std::mutex> lock(mutex_);
  if (iteration != wanted_) {
    // Batches are pure functions of their iteration, so results already made
    // for later iterations stay valid; a backward jump recomputes from there.
    if (iteration < wanted_ || iteration >= next_) next_ = iteration;
    wanted_ = iteration;
    ready_.erase(ready_.begin(), ready_.lower_bound(iteration));
    failed_.erase(failed_.begin(), failed_.lower_bound(iteration));
    changed_.notify_all();
  }
  changed_.wait(lock, [&] { return ready_.count(iteration) > 0 || failed_.count(iteration) > 0; });
  if (auto f = failed_.find(iteration); f != failed_.end()) {
    auto error = f->second;
    failed_.erase(f);
    std::rethrow_exception(error);
  }
  Batch out = std::move(ready_.at(iteration));
  ready_.erase(iteration);
  wanted_ = iteration + 1;
  changed_.notify_all();
  return out;
}

}  // namespace senet
