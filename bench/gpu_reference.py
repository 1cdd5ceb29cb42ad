"""PyTorch eager side of bench/gpu.sh, on the same device as senet-lab.

    python3 bench/gpu_reference.py '<json request>'      -> one JSON line on stdout

Requests:
  {"cmd": "info", "device": ...}                    versions, paths and the wheel's CUDA libraries, for gpu.sh
  {"cmd": "parity", "device": ..., "cases": [...]}  forward logits (eval mode) and SGD steps from given weights
  {"cmd": "bench", "device": ..., "lines": [...]}   training img/s, median-ready lists per line

Models come from test/reference/senet_reference.py (torchvision ResNets plus
the attention blocks), so state_dict names equal senet-lab's.
"""
import glob
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "reference"))
from senet_reference import build_model, load_safetensors, save_safetensors  # noqa: E402

AMP = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device, amp):
    if not amp:
        return torch.autocast(device_type=device.type, enabled=False)
    return torch.autocast(device_type=device.type, dtype=AMP[amp])


def read_f32(path, shape):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)


def read_labels(path):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.int32).to(torch.int64)


def sgd(model, opt):
    return torch.optim.SGD(model.parameters(), lr=opt["lr"], momentum=opt["momentum"], weight_decay=opt["weightDecay"])


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# The CUDA libraries a CUDA libtorch's CMake files ask FindCUDAToolkit for (CUDA::<name>).
CUDA_LIBRARIES = ["cudart", "cublas", "cublasLt", "cufft", "curand", "cusparse", "cusolver", "nvrtc", "nvJitLink",
                  "cupti", "cufile"]


def wheel_cuda_libraries(site):
    """CMake cache entries naming the wheel's own copies (site-packages/nvidia/*/lib/lib<name>.so.N), so that
    the addon links, and finds at run time, what libtorch_cuda loads — also where the system toolkit lacks them."""
    entries = {}
    for name in CUDA_LIBRARIES:
        found = sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib", f"lib{name}.so*")), key=len)
        if found:
            entries[f"CUDA_{name}_LIBRARY"] = found[0]
    cudnn = sorted(glob.glob(os.path.join(site, "nvidia", "cudnn", "lib", "libcudnn.so*")), key=len)
    if cudnn and os.path.isdir(os.path.join(site, "nvidia", "cudnn", "include")):
        entries["CUDNN_LIBRARY_PATH"] = cudnn[0]
        entries["CUDNN_INCLUDE_PATH"] = os.path.join(site, "nvidia", "cudnn", "include")
    # The driver library (CUDA::cuda_driver), which a toolkit without stubs/ does not have.
    for folder in ["/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/cuda/lib64/stubs"]:
        for file in ["libcuda.so", "libcuda.so.1"]:
            if os.path.exists(os.path.join(folder, file)):
                entries.setdefault("CUDA_cuda_driver_LIBRARY", os.path.join(folder, file))
    return entries


def parallel_info():
    """ATen's parallel backend and OpenMP runtime, from torch.__config__.parallel_info()."""
    lines = torch.__config__.parallel_info().splitlines()
    first = lambda prefix: next((line.strip() for line in lines if line.startswith(prefix)), None)
    backend = first("ATen parallel backend:")
    return {"backend": backend.split(":", 1)[1].strip() if backend else None, "openmp": first("OpenMP"),
            "threads": torch.get_num_threads()}


def info(req):
    device = torch.device(req["device"])
    site = os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__)))
    out = {"torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
           "cudaAvailable": torch.cuda.is_available(), "cmakePrefixPath": torch.utils.cmake_prefix_path,
           "site": site, "parallel": parallel_info(), "cmakeCache": wheel_cuda_libraries(site),
           "python": sys.version.split()[0], "executable": sys.executable}
    if device.type == "cuda" and torch.cuda.is_available():
        out["gpu"] = torch.cuda.get_device_name(device)
        major, minor = torch.cuda.get_device_capability(device)
        out["capability"] = f"{major}.{minor}"
    return out


def set_tf32(enabled):
    """TF32 for float32 convolutions and matmuls. torch 2.9 introduced fp32_precision and deprecated allow_tf32;
    mixing the two is an error in later versions, so only one of them is ever used."""
    try:  # torch 1.13's backends.cuda.matmul raises AssertionError for an unknown attribute
        new_api = hasattr(torch.backends.cuda.matmul, "fp32_precision")
    except AssertionError:
        new_api = False
    if new_api:
        precision = "tf32" if enabled else "ieee"
        torch.backends.cuda.matmul.fp32_precision = precision
        torch.backends.cudnn.conv.fp32_precision = precision
        torch.backends.cudnn.rnn.fp32_precision = precision
    else:
        torch.backends.cuda.matmul.allow_tf32 = enabled
        torch.backends.cudnn.allow_tf32 = enabled


def parity(req):
    device = torch.device(req["device"])
    # float32 parity: no TF32 (senet-lab's side calls setTf32(false) too).
    set_tf32(False)
    torch.backends.cudnn.benchmark = True
    results = []
    for case in req["cases"]:
        memory_format = torch.channels_last if case["channelsLast"] else torch.contiguous_format
        model = build_model(case["options"])
        state, _ = load_safetensors(case["weights"])
        model.load_state_dict(state, strict=True)
        model = model.to(device).to(memory_format=memory_format)
        x = read_f32(case["input"], case["inputShape"]).to(device).contiguous(memory_format=memory_format)
        model.eval()
        with torch.no_grad(), autocast(device, case["amp"]):
            logits = model(x).float().cpu()
        data = case["data"]
        images = read_f32(data["images"], data["shape"])
        labels = read_labels(data["labels"])
        model.train()
        opt = sgd(model, case["optimizer"])
        batch = case["batchSize"]
        losses = []
        for t in range(case["steps"]):
            start = (t % (images.shape[0] // batch)) * batch
            xb = images[start:start + batch].to(device).contiguous(memory_format=memory_format)
            yb = labels[start:start + batch].to(device)
            opt.zero_grad(set_to_none=True)
            with autocast(device, case["amp"]):
                loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        save_safetensors(case["weightsOut"], {k: v.contiguous() for k, v in model.state_dict().items()})
        results.append({"logits": logits.flatten().tolist(), "losses": losses})
    return {"cases": results}


def bench(req):
    device = torch.device(req["device"])
    torch.backends.cudnn.benchmark = True
    if device.type == "cpu" and req.get("threads"):
        torch.set_num_threads(req["threads"])
    results = []
    for line in req["lines"]:
        n, c, h, w = line["shape"]
        memory_format = torch.channels_last if line["channelsLast"] else torch.contiguous_format
        torch.manual_seed(0)
        model = build_model(line["options"]).to(device).to(memory_format=memory_format)
        model.train()
        opt = sgd(model, line["optimizer"])
        # A host batch copied each step, as a DataLoader with pin_memory feeds a training loop.
        x_host = torch.rand(n, c, h, w)
        y_host = torch.arange(n) % line["options"]["numClasses"]
        if device.type == "cuda":
            x_host, y_host = x_host.pin_memory(), y_host.pin_memory()

        def step():
            x = x_host.to(device, non_blocking=True).contiguous(memory_format=memory_format)
            y = y_host.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            with autocast(device, line["amp"]):
                loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        for _ in range(line["warmup"]):
            step()
        synchronize(device)
        rates = []
        for _ in range(line["repeats"]):
            start = time.perf_counter()
            for _ in range(line["steps"]):
                step()
            synchronize(device)
            rates.append(n * line["steps"] / (time.perf_counter() - start))
        results.append(rates)
        del model, opt
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return {"rates": results}


def main():
    req = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
    handler = {"info": info, "parity": parity, "bench": bench}[req["cmd"]]
    print(json.dumps(handler(req)))


if __name__ == "__main__":
    main()
