"""PyTorch eager side of bench/gpu.sh, on the same device as senet-lab.

    python3 bench/gpu_reference.py '<json request>'      -> one JSON line on stdout

Requests:
  {"cmd": "info", "device": ...}
  {"cmd": "parity", "device": ..., "cases": [...]}  forward logits (eval mode) and SGD steps from given weights
  {"cmd": "bench", "device": ..., "lines": [...]}   training img/s, median-ready lists per line

Models come from test/reference/senet_reference.py (torchvision ResNets plus
the attention blocks), so state_dict names equal senet-lab's.
"""
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


def info(req):
    device = torch.device(req["device"])
    out = {"torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
           "cudaAvailable": torch.cuda.is_available()}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    return out


def parity(req):
    device = torch.device(req["device"])
    # float32 parity: no TF32 (senet-lab's side calls setTf32(false) too).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
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
