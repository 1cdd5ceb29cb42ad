// Process-wide runtime settings: intra-op threads and device selection.
#pragma once

#include <torch/torch.h>

#include <string>

namespace senet {

// libtorch starts with one intra-op thread on some machines; we default to
// all cores. setThreads() changes libtorch's global setting (call it while no
// native work runs: in libtorch it also rebuilds a shared thread pool).
// OpenMP's thread count is per calling thread: the compute thread
// (compute_thread.h) calls applyThreads(); every other thread that runs ops —
// the JS thread (again after setThreads(), which resets its count), loader
// workers — calls useSingleThread(), so it never starts an OpenMP team of its
// own. Both only touch the calling thread's own setting.
void setThreads(int threads);
int threads();
void applyThreads();
void useSingleThread();

// "cpu", "cuda", "cuda:N" or "auto" (CUDA when this libtorch has it and a GPU
// is visible, else CPU). Throws std::invalid_argument for anything else and
// for CUDA requests this build or machine cannot serve.
torch::Device resolveDevice(const std::string& name);

// TF32 in cuDNN convolutions and cuBLAS matmuls on Ampere+ GPUs
// (torch.backends.cudnn.allow_tf32 / torch.backends.cuda.matmul.allow_tf32).
// libtorch's defaults: on for convolutions, off for matmuls. Process-wide.
void setTf32(bool enabled);
bool tf32Convolutions();
bool tf32Matmuls();

bool cudaAvailable();
int cudaDeviceCount();
std::string torchVersion();

}  // namespace senet
