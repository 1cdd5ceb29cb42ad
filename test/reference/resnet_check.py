"""Checks resnet_reference.py (torchvision's ResNet for a PyTorch without torchvision) against torchvision.

    python3 resnet_check.py      -> one JSON line: per case, whether the seeded state_dicts (names, shapes,
                                    dtypes, bytes) and the logits of both builds are equal, bit for bit

Each side is built in its own process (SENET_REFERENCE_RESNET=local selects the copy), from the same seed.
"""
import hashlib
import json
import os
import subprocess
import sys

CASES = [
    {"arch": "resnet18", "attention": "none", "numClasses": 10},
    {"arch": "resnet34", "attention": "se", "numClasses": 10, "zeroInitResidual": True},
    {"arch": "resnet50", "attention": "none", "numClasses": 7, "zeroInitResidual": True},
    {"arch": "resnet50", "attention": "eca", "numClasses": 10, "stem": "cifar"},
    {"arch": "resnet101", "attention": "dual-add", "numClasses": 5, "inChannels": 1},
]


def side():
    import torch
    from senet_reference import RESNET_SOURCE, build_model
    torch.set_num_threads(1)
    out = []
    for i, options in enumerate(CASES):
        torch.manual_seed(100 + i)
        model = build_model(options).eval()
        x = torch.randn(2, options.get("inChannels", 3), 32, 32, generator=torch.Generator().manual_seed(i))
        with torch.no_grad():
            logits = model(x)
        state = {k: [list(v.shape), str(v.dtype), hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest()]
                 for k, v in model.state_dict().items()}
        out.append({"state": state, "logits": hashlib.sha256(logits.contiguous().numpy().tobytes()).hexdigest()})
    return {"source": RESNET_SOURCE, "cases": out}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--side":
        print(json.dumps(side()))
        return
    here = os.path.dirname(os.path.abspath(__file__))
    runs = {}
    for name, value in (("torchvision", ""), ("local", "local")):
        env = {**os.environ, "SENET_REFERENCE_RESNET": value, "PYTHONPATH": here}
        text = subprocess.run([sys.executable, os.path.abspath(__file__), "--side"], env=env, cwd=here, check=True,
                              capture_output=True, text=True).stdout
        runs[name] = json.loads(text)
    cases = []
    for options, a, b in zip(CASES, runs["torchvision"]["cases"], runs["local"]["cases"]):
        cases.append({"options": options, "names": list(a["state"]) == list(b["state"]), "state": a["state"] == b["state"],
                      "logits": a["logits"] == b["logits"], "tensors": len(a["state"])})
    print(json.dumps({"sources": [runs["torchvision"]["source"], runs["local"]["source"]], "cases": cases}))


if __name__ == "__main__":
    main()
