// TF32 for float32 CUDA math (declared in runtime.h).
//
// libtorch up to 2.8 has only the boolean setters setAllowTF32CuDNN /
// setAllowTF32CuBLAS. 2.9 added the fp32_precision API (a precision per
// backend and op: "ieee" or "tf32", what torch.backends.cuda.matmul /
// torch.backends.cudnn.conv .fp32_precision set) and deprecated the booleans;
// mixing the two makes libtorch's legacy getters throw. From 2.9 on only the
// new API is used here, for all three cuDNN/cuBLAS ops. Its C++ spelling
// changed once after its introduction — strings in 2.9, the enums
// Float32Backend / Float32Op / Float32Precision later — so the setter's own
// parameter type picks the spelling (if constexpr), and neither spelling
// depends on guessing the exact release that switched.
#include <ATen/Context.h>
#include <torch/version.h>

#include <type_traits>

#include "runtime/runtime.h"

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9)
#define SENET_FP32_PRECISION_API 1
#else
#define SENET_FP32_PRECISION_API 0
#endif

namespace senet {

#if SENET_FP32_PRECISION_API

namespace {

enum class CudaOp { Conv, Rnn, Matmul };

const char* opName(CudaOp op) {
  switch (op) {
    case CudaOp::Conv: return "conv";
    case CudaOp::Rnn: return "rnn";
    case CudaOp::Matmul: return "matmul";
  }
  return "all";
}

template <typename Op>
Op opEnum(CudaOp op) {
  switch (op) {
    case CudaOp::Conv: return Op::CONV;
    case CudaOp::Rnn: return Op::RNN;
    case CudaOp::Matmul: return Op::MATMUL;
  }
  return Op::ALL;
}

// Context::setFloat32Precision(backend, op, precision), in whichever spelling this libtorch declares.
template <typename Backend, typename Op, typename Precision>
void setCudaPrecision(void (at::Context::*setter)(Backend, Op, Precision), CudaOp op, bool tf32) {
  auto& context = at::globalContext();
  if constexpr (std::is_enum_v<Backend>) {
    (context.*setter)(Backend::CUDA, opEnum<Op>(op), tf32 ? Precision::TF32 : Precision::IEEE);
  } else {
    (context.*setter)("cuda", opName(op), tf32 ? "tf32" : "ieee");
  }
}

// Context::float32Precision(backend, op) == tf32, likewise. It resolves "none" through the parents
// (cuda/all, then generic/all), so it answers what the kernels use.
template <typename Result, typename Backend, typename Op>
bool cudaPrecisionIsTf32(Result (at::Context::*getter)(Backend, Op) const, CudaOp op) {
  const auto& context = at::globalContext();
  if constexpr (std::is_enum_v<Backend>) {
    return (context.*getter)(Backend::CUDA, opEnum<Op>(op)) == Result::TF32;
  } else {
    return (context.*getter)("cuda", opName(op)) == "tf32";
  }
}

}  // namespace

void setTf32(bool enabled) {
  for (CudaOp op : {CudaOp::Conv, CudaOp::Rnn, CudaOp::Matmul}) {
    setCudaPrecision(&at::Context::setFloat32Precision, op, enabled);
  }
}

bool tf32Convolutions() { return cudaPrecisionIsTf32(&at::Context::float32Precision, CudaOp::Conv); }
bool tf32Matmuls() { return cudaPrecisionIsTf32(&at::Context::float32Precision, CudaOp::Matmul); }

#else

void setTf32(bool enabled) {
  at::globalContext().setAllowTF32CuDNN(enabled);
  at::globalContext().setAllowTF32CuBLAS(enabled);
}

bool tf32Convolutions() { return at::globalContext().allowTF32CuDNN(); }
bool tf32Matmuls() { return at::globalContext().allowTF32CuBLAS(); }

#endif

}  // namespace senet
