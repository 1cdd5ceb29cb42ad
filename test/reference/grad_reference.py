"""PyTorch side of the gradient parity tests: one attention block, and whole
models, forward + backward on inputs chosen to stress the pooling (planes that
are all zero or have tied maxima, 1x1 / 2x2 / odd spatial sizes)."""
import math

import torch
import torch.nn.functional as F

from senet_reference import ChannelAttention, build_model, load_safetensors, metadata_for, randomize, save_safetensors


def attention_input(shape, gen, zero_planes, tied_planes):
    """Random planes, then some all-zero (ReLU-dead) and some with tied maxima (small integers)."""
    n, c, h, w = shape
    x = torch.randn(shape, generator=gen)
    for i, j in zero_planes:
        x[i, j] = 0.0
    for i, j in tied_planes:
        x[i, j] = torch.randint(0, 3, (h, w), generator=gen).float()
    return x


def attention_case(req):
    """A block with random weights; writes `input` (x, grad, parameters by state_dict name)
    and `expected` (y, grad_x, grad.<parameter>) from the reference module's autograd."""
    kind, reduction = req["kind"], req.get("reduction", 16)
    gen = torch.Generator().manual_seed(int(req["seed"]))
    shape = req["shape"]
    block = ChannelAttention(kind, shape[1], reduction)
    with torch.no_grad():
        for p in block.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            scale = math.sqrt(1.0 / fan_in) if p.dim() > 1 else 0.1
            p.copy_(torch.randn(p.shape, generator=gen) * scale)
    x = attention_input(shape, gen, req.get("zeroPlanes", []), req.get("tiedPlanes", []))
    g = torch.randn(shape, generator=gen)
    if req.get("dtype") == "float64":  # an input the fused path must refuse
        save_safetensors(req["input"], {"x": x.double(), "grad": g.double(), **block.state_dict()})
    else:
        save_safetensors(req["input"], {"x": x, "grad": g, **block.state_dict()})
    x.requires_grad_(True)
    y = block(x)
    y.backward(g)
    expected = {"y": y, "grad_x": x.grad}
    expected.update({"grad." + name: p.grad for name, p in block.named_parameters()})
    save_safetensors(req["expected"], expected)
    return {}


def gradient_case(req):
    """A randomized model whose residual branches end in `deadChannels` all-zero planes
    (last BN's weight and bias zeroed), so the attention blocks see exactly zero planes
    next to live ones. Writes weights (with our metadata) and input, then the train-mode
    cross-entropy of one batch and the parameter gradients."""
    options = req["options"]
    gen = torch.Generator().manual_seed(int(req["seed"]))
    model = build_model(options)
    randomize(model, gen)
    dead = int(req.get("deadChannels", 0))
    with torch.no_grad():
        for name, module in model.named_modules():
            if hasattr(module, "se"):
                bn = module.bn3 if hasattr(module, "bn3") else module.bn2
                bn.weight[:dead] = 0.0
                bn.bias[:dead] = 0.0
    save_safetensors(req["weights"], model.state_dict(), metadata_for(options))
    n, c, h, w = req["inputShape"]
    x = torch.randn((n, c, h, w), generator=gen)
    with open(req["input"], "wb") as f:
        f.write(x.numpy().tobytes())
    labels = torch.tensor(req["labels"], dtype=torch.int64)
    model.train()
    loss = F.cross_entropy(model(x), labels)
    loss.backward()
    save_safetensors(req["gradients"], {name: p.grad for name, p in model.named_parameters()})
    return {"loss": loss.item()}


def compare_tensors(req):
    """Per tensor of `expected`: max|a-b| / max|b| (max|a-b| where b is all zero)."""
    ours, _ = load_safetensors(req["ours"])
    theirs, _ = load_safetensors(req["expected"])
    errors = {}
    for key, b in theirs.items():
        if key not in ours or ours[key].shape != b.shape:
            errors[key] = math.inf
            continue
        a, b = ours[key].double(), b.double()
        diff = (a - b).abs().max().item() if b.numel() else 0.0
        scale = b.abs().max().item() if b.numel() else 0.0
        errors[key] = diff / scale if scale > 0 else diff
    return {"errors": errors, "extra": sorted(set(ours) - set(theirs))}


COMMANDS = {"attention_case": attention_case, "gradient_case": gradient_case, "compare_tensors": compare_tensors}
