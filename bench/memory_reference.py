"""PyTorch side of the memory benchmark: one training run in a fresh process,
resident memory after importing torch (baseline) and the peak (VmHWM)."""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "reference"))
from senet_reference import build_model  # noqa: E402


def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def main():
    req = json.loads(sys.argv[1])
    torch.set_num_threads(req["threads"])
    baseline = kib("VmRSS:")
    torch.manual_seed(0)
    model = build_model(req["options"]).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    n, c, h, w = req["shape"]
    x = torch.rand(n, c, h, w)
    y = torch.arange(n) % req["options"]["numClasses"]
    for _ in range(req["steps"]):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    print(json.dumps({"baselineMiB": baseline / 1024, "peakMiB": kib("VmHWM:") / 1024}))


if __name__ == "__main__":
    main()
