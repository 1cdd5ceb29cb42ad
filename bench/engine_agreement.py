"""How far PyTorch moves against itself and across versions: the measurement behind the tolerances of the
torch2 tier (the parity method: each side against itself first).

    python bench/engine_agreement.py side OUT.pt THREADS    # one PyTorch, one thread count: writes its results
    python bench/engine_agreement.py compare A.pt B.pt      # max relative error per quantity, as one JSON line

A side builds the parity suites' models (test/reference: random weights and BN statistics), runs a forward pass
(eval), the gradients of one training-mode loss, and 10 SGD steps (momentum 0.9, wd 1e-4) on a fixed batch,
all from the same seeds, so two sides differ only by PyTorch version or thread count.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "reference"))
from senet_reference import build_model, randomize  # noqa: E402

CASES = [
    {"arch": "resnet18", "attention": "none", "stem": "imagenet", "numClasses": 10},
    {"arch": "resnet18", "attention": "se", "stem": "cifar", "numClasses": 10},
    {"arch": "resnet34", "attention": "dual-add", "stem": "imagenet", "numClasses": 10},
    {"arch": "resnet50", "attention": "cbam", "stem": "imagenet", "numClasses": 10},
    {"arch": "resnet50", "attention": "eca", "stem": "cifar", "numClasses": 10},
]


def side(out, threads):
    torch.set_num_threads(threads)
    results = []
    for i, options in enumerate(CASES):
        gen = torch.Generator().manual_seed(10 + i)
        model = build_model(options)
        randomize(model, gen)
        x = torch.randn(4, 3, 32, 32, generator=gen)
        y = torch.arange(4) % 10
        model.eval()
        with torch.no_grad():
            logits = model(x).clone()
        model.train()
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
        grads = torch.cat([p.grad.flatten() for p in model.parameters()]).clone()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        losses = []
        for _ in range(10):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        weights = torch.cat([p.detach().flatten() for p in model.parameters()]).clone()
        results.append({"logits": logits, "grads": grads, "losses": torch.tensor(losses), "weights": weights})
    torch.save({"torch": str(torch.__version__), "threads": threads, "results": results}, out)


def rel(a, b):
    return float((a.double() - b.double()).abs().max() / b.double().abs().max())


def compare(a_file, b_file):
    a, b = torch.load(a_file), torch.load(b_file)
    worst = {}
    for ra, rb in zip(a["results"], b["results"]):
        for k in ra:
            worst[k] = max(worst.get(k, 0.0), rel(ra[k], rb[k]))
    print(json.dumps({"a": f"torch {a['torch']}, {a['threads']} threads", "b": f"torch {b['torch']}, {b['threads']} threads",
                      "maxRelativeError": worst}))


if __name__ == "__main__":
    if sys.argv[1] == "side":
        side(sys.argv[2], int(sys.argv[3]))
    else:
        compare(sys.argv[2], sys.argv[3])
