#include "dist/sync_batchnorm.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cstdint>
#include <stdexcept>

namespace senet {

namespace {

// saved_data holds IValues; the communicator travels as its address (the
// caller keeps it alive across backward, as a process group must be anyway).
Communicator& communicatorAt(int64_t address) { return *reinterpret_cast<Communicator*>(address); }

struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t comm,
                            const std::string& what) {
    ctx->saved_data["comm"] = comm;
    ctx->saved_data["what"] = what;
    at::Tensor sum = x.clone(at::MemoryFormat::Contiguous);
    communicatorAt(comm).allReduce({sum}, what);
    return sum;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    at::Tensor grad = grads[0].clone(at::MemoryFormat::Contiguous);  // never modify autograd's buffer in place
    communicatorAt(ctx->saved_data["comm"].toInt())
        .allReduce({grad}, ctx->saved_data["what"].toStringRef() + " (backward)");
    return {grad, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor allReduceSumWithGrad(const at::Tensor& x, Communicator& comm, const std::string& what) {
  if (comm.worldSize() == 1) return x;
  return AllReduceSum::apply(x, reinterpret_cast<int64_t>(&comm), what);
}

at::Tensor syncBatchNorm(const at::Tensor& input, torch::nn::BatchNorm2dImpl& bn, Communicator& comm) {
  if (!bn.is_training() || comm.worldSize() == 1) return bn.forward(input);
  const auto& options = bn.options;
  if (input.dim() != 4 || input.size(1) != options.num_features())
    throw std::invalid_argument("syncBatchNorm: expected an N x " + std::to_string(options.num_features()) +
                                " x H x W input, got " + std::to_string(input.dim()) + "-d with sizes " +
                                c10::str(input.sizes()));
  const int64_t channels = input.size(1);
  const std::vector<int64_t> reduceDims{0, 2, 3};
  const std::vector<int64_t> perChannel{1, channels, 1, 1};
  // Reduced-precision inputs (autocast) are normalised in float32, as
  // BatchNorm's kernels do internally.
  const bool lowPrecision = input.scalar_type() == at::kHalf || input.scalar_type() == at::kBFloat16;
  const at::Tensor x = lowPrecision ? input.to(at::kFloat) : input;
  const double localCount = static_cast<double>(x.numel() / std::max<int64_t>(channels, 1));

  // Pass 1: per-channel sums and the element count, summed over ranks.
  at::Tensor sums = x.sum(reduceDims).to(at::kDouble);
  at::Tensor packed = at::cat({sums, at::full({1}, localCount, sums.options())});
  packed = allReduceSumWithGrad(packed, comm, "sync BatchNorm statistics (sums)");
  const at::Tensor count = packed.narrow(0, channels, 1);  // global N, exact in float64
  const at::Tensor mean = packed.narrow(0, 0, channels) / count;

  // Pass 2: centred sum of squares over ranks -> biased variance.
  const at::Tensor centred = x - mean.to(x.scalar_type()).view(perChannel);
  at::Tensor squares = centred.pow(2).sum(reduceDims).to(at::kDouble);
  squares = allReduceSumWithGrad(squares, comm, "sync BatchNorm statistics (squares)");
  const at::Tensor var = squares / count;
  const at::Tensor invstd = (var + options.eps()).rsqrt().to(x.scalar_type());

  at::Tensor y;
  if (options.affine() && bn.weight.defined()) {
    y = at::addcmul(bn.bias.view(perChannel), centred, (invstd * bn.weight).view(perChannel));
  } else {
    y = centred * invstd.view(perChannel);
  }

  if (options.track_running_stats() && bn.running_mean.defined()) {
    at::NoGradGuard noGrad;
    double factor = 0.0;
    const auto momentum = options.momentum();
    if (momentum.has_value()) factor = *momentum;
    if (bn.num_batches_tracked.defined()) {
      bn.num_batches_tracked += 1;
      if (!momentum.has_value()) factor = 1.0 / bn.num_batches_tracked.item<double>();  // cumulative average
    }
    const at::Tensor unbiased = var.detach() * count / (count - 1);
    bn.running_mean.mul_(1.0 - factor).add_(mean.detach().to(bn.running_mean.scalar_type()), factor);
    bn.running_var.mul_(1.0 - factor).add_(unbiased.to(bn.running_var.scalar_type()), factor);
  }
  return lowPrecision ? y.to(input.scalar_type()) : y;
}

}  // namespace senet
