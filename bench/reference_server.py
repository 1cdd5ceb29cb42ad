"""PyTorch eager side of the benchmarks, as a JSON-lines server so the JS
harness can interleave repetitions (ours, theirs, theirs, ours, ...) and
both sides see the same machine state. Same models as the parity tests
(torchvision + the reference attention blocks), same thread count.

Requests (one JSON object per line on stdin, one reply per line on stdout):
  {"cmd": "train_setup", "options": {...}, "shape": [N, C, H, W], "key": name?, "compile": bool?}
  {"cmd": "train_rep", "steps": k, "key": name?}  -> {"rate": img/s}   (1 untimed step first)
A key keeps several training setups alive at once (bench/attention.js
interleaves attention kinds round by round); without one, the latest setup.
  {"cmd": "predict_setup", "options": {...}, "shape": [...], "variant": "eager" | "frozen"}
  {"cmd": "predict_rep", "iterations": k, "variant": ...} -> {"seconds": [...]} (one per call)
  {"cmd": "dispose"}  drops every setup
The "frozen" variant is PyTorch's own inference path: the traced model after
torch.jit.freeze and torch.jit.optimize_for_inference (BN folded into conv,
oneDNN-prepacked weights, fused ReLU). "compile" (PyTorch 2.x): torch.compile
with its default (inductor) backend, for predict and, with "compile": true, for
training; compiled at setup (the first calls), never inside a timed repetition.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "reference"))
from senet_reference import RESNET_SOURCE, build_model  # noqa: E402


def compiled(model):
    if not hasattr(torch, "compile"):
        raise RuntimeError(f"torch.compile needs PyTorch 2.x; this is {torch.__version__} (set SENET_PYTHON2)")
    return torch.compile(model)


class Bench:
    def __init__(self):
        self.steps = {}  # key (None: a setup without one) -> (step function, batch size)
        self.predicts = {}

    def train_setup(self, req):
        torch.manual_seed(0)
        model = build_model(req["options"])
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        forward = compiled(model) if req.get("compile") else model
        n, c, h, w = req["shape"]
        x = torch.rand(n, c, h, w)
        y = torch.arange(n) % req["options"]["numClasses"]

        amp = req.get("amp") == "bf16"

        def step():
            opt.zero_grad(set_to_none=True)  # PyTorch 2.x default, and ours
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                loss = F.cross_entropy(forward(x), y)
            loss.backward()
            opt.step()

        if req.get("compile"):
            for _ in range(2):  # compiles forward and backward
                step()
        self.steps[req.get("key")] = (step, n)
        return {}

    def train_rep(self, req):
        step, batch = self.steps[req.get("key")]
        step()
        start = time.perf_counter()
        for _ in range(req["steps"]):
            step()
        return {"rate": batch * req["steps"] / (time.perf_counter() - start)}

    def predict_setup(self, req):
        torch.manual_seed(0)
        model = build_model(req["options"]).eval()
        x = torch.full(req["shape"], 0.5)
        variant = req.get("variant", "eager")
        if variant == "frozen":
            with torch.no_grad():
                model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
                # The profiling executor specializes the graph over its first calls.
                for _ in range(3):
                    model(x)

            def predict():
                with torch.no_grad():
                    return model(x)
        elif variant == "compile":
            forward = compiled(model)
            with torch.no_grad():
                for _ in range(3):
                    forward(x)

            def predict():
                with torch.no_grad():
                    return forward(x)
        elif variant == "eager":
            def predict():
                with torch.inference_mode():
                    return model(x)
        else:
            raise ValueError(f"unknown predict variant {variant!r}")

        self.predicts[variant] = predict
        return {"logits": predict().flatten()[:16].tolist()}

    def dispose(self, req):
        self.steps.clear()
        self.predicts.clear()
        return {}

    def predict_rep(self, req):
        predict = self.predicts[req.get("variant", "eager")]
        seconds = []
        for _ in range(req["iterations"]):
            start = time.perf_counter()
            predict()
            seconds.append(time.perf_counter() - start)
        return {"seconds": seconds}


def main():
    torch.set_num_threads(int(sys.argv[1]))
    bench = Bench()
    print(json.dumps({"ready": True, "torch": torch.__version__, "resnet": RESNET_SOURCE}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            reply = getattr(bench, req["cmd"])(req)
        except Exception as error:  # reported to the harness, which fails loudly
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
