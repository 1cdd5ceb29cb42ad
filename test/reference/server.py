"""A long-lived PyTorch reference process for the jest parity tests.

Reads one JSON request per line on stdin, answers one JSON line on stdout,
so torch is imported once for a whole test file. Commands:

  make_case      random reference model -> weights file (+ our metadata unless
                 "metadata": false), random input file, reference logits
  forward        load a weights file strictly into a reference model, run the
                 given input, return logits
  seeded_state   torch.manual_seed(seed) then build the model; write its
                 state_dict to a file (init parity)
  train_steps, schedule_values, evaluate   see train_reference.py
  write_images, decode, transform          see data_reference.py
  attention_case, gradient_case, compare_tensors   see grad_reference.py
"""
import json
import os
import sys
import traceback

import torch

from senet_reference import RESNET_SOURCE, build_model, load_reference, load_safetensors, metadata_for, randomize, save_safetensors
import grad_reference
import train_reference

# The data commands compare with torchvision.transforms and PIL: a reference without them (the pip torch
# 2.x of the torch2 engines) answers them with an error naming what is missing.
try:
    import data_reference
    DATA_COMMANDS = data_reference.COMMANDS
    DATA_MISSING = None
except ImportError as exc:
    DATA_COMMANDS = {}
    DATA_MISSING = f"{exc} (the data commands need torchvision and PIL next to torch)"

# Same intra-op thread count as senet-lab (all cores), so reductions split the same way.
torch.set_num_threads(os.cpu_count() or 1)


def logits_of(model, x, amp=None):
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp == "bf16"):
        return model(x).float()


def make_case(req):
    options = req["options"]
    gen = torch.Generator().manual_seed(int(req.get("seed", 0)))
    model = build_model(options)
    randomize(model, gen)
    state = model.state_dict()
    save_safetensors(req["weights"], state, metadata_for(options) if req.get("metadata", True) else {"format": "pt"})
    n, c, h, w = req["inputShape"]
    x = torch.randn((n, c, h, w), generator=gen)
    with open(req["input"], "wb") as f:
        f.write(x.numpy().tobytes())
    out = logits_of(model, x)
    return {
        "keys": list(state.keys()),
        "parameterCount": sum(p.numel() for p in model.parameters()),
        "logits": out.flatten().tolist(),
    }


def forward(req):
    model = load_reference(req["options"], req["weights"])
    _, metadata = load_safetensors(req["weights"])
    n, c, h, w = req["inputShape"]
    with open(req["input"], "rb") as f:
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(n, c, h, w)
    return {"logits": logits_of(model, x, req.get("amp")).flatten().tolist(), "metadata": metadata}


def seeded_state(req):
    torch.manual_seed(int(req["seed"]))
    model = build_model(req["options"])
    save_safetensors(req["weights"], model.state_dict(), metadata_for(req["options"]))
    return {"parameterCount": sum(p.numel() for p in model.parameters())}


COMMANDS = {"make_case": make_case, "forward": forward, "seeded_state": seeded_state, **train_reference.COMMANDS, **DATA_COMMANDS,
            **grad_reference.COMMANDS}


def command(name):
    if name in COMMANDS:
        return COMMANDS[name]
    if DATA_MISSING and name in ("write_images", "decode", "transform"):
        raise RuntimeError(f"'{name}' is unavailable with this reference: {DATA_MISSING}")
    raise KeyError(f"unknown command '{name}' (valid: {', '.join(sorted(COMMANDS))})")


def main():
    print(json.dumps({"ready": True, "torch": torch.__version__, "resnet": RESNET_SOURCE, "data": DATA_MISSING is None}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            result = {"ok": True, **command(req["cmd"])(req)}
        except Exception as exc:  # reported to the test, which fails with it
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
