"""PyTorch eager side of the training benchmark: img/s for SGD steps of the
same model (torchvision + reference attention blocks) at the same size,
batch and thread count."""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "reference"))
from senet_reference import build_model  # noqa: E402


def main():
    req = json.loads(sys.argv[1])
    torch.set_num_threads(req["threads"])
    torch.manual_seed(0)
    out = []
    for line in req["lines"]:
        model = build_model(line["options"])
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        n, c, h, w = line["shape"]
        x = torch.rand(n, c, h, w)
        y = torch.randint(0, line["options"]["numClasses"], (n,))

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        for _ in range(line["warmup"]):
            step()
        times = []
        for _ in range(line["repeats"]):
            start = time.perf_counter()
            for _ in range(line["steps"]):
                step()
            times.append(n * line["steps"] / (time.perf_counter() - start))
        out.append(times)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
