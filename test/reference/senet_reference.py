"""PyTorch reference for senet-lab's parity tests (run with /usr/bin/python3, or SENET_PYTHON).

The 'none' models are torchvision's own ResNets. The attention variants
subclass torchvision's BasicBlock/Bottleneck and add `self.se`, written from
the formulas in ARCHITECTURE.md, independently of the C++ code (pooling here
uses adaptive_avg_pool2d/adaptive_max_pool2d, the C++ uses mean/amax).

Without torchvision (the pip torch 2.x reference of the torch2 engines), or with
SENET_REFERENCE_RESNET=local, the ResNets come from resnet_reference.py: torchvision's
classes rewritten with the same architecture, state_dict names and initialisation.

Safetensors are read and written by hand (Debian has no python3-safetensors):
8-byte little-endian header length, JSON header, raw little-endian bytes.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

if os.environ.get("SENET_REFERENCE_RESNET") == "local":
    torchvision = None
else:
    try:
        import torchvision
    except ImportError:
        torchvision = None
if torchvision is not None:
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
    RESNET_SOURCE = "torchvision " + torchvision.__version__
else:
    from resnet_reference import BasicBlock, Bottleneck, ResNet
    RESNET_SOURCE = "resnet_reference.py"

ARCH_LAYERS = {
    "resnet18": (BasicBlock, [2, 2, 2, 2]),
    "resnet34": (BasicBlock, [3, 4, 6, 3]),
    "resnet50": (Bottleneck, [3, 4, 6, 3]),
    "resnet101": (Bottleneck, [3, 4, 23, 3]),
    "resnet152": (Bottleneck, [3, 8, 36, 3]),
}


def eca_kernel_size(channels, gamma=2.0, b=1.0):
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


class ChannelAttention(nn.Module):
    def __init__(self, kind, channels, reduction):
        super().__init__()
        self.kind = kind
        if kind == "eca":
            k = eca_kernel_size(channels)
            self.conv = nn.Conv1d(1, 1, k, padding=(k - 1) // 2, bias=False)
        else:
            hidden = max(1, channels // reduction)
            self.fc1 = nn.Linear(channels, hidden)
            self.fc2 = nn.Linear(hidden, channels)

    def mlp(self, z):
        return torch.sigmoid(self.fc2(F.relu(self.fc1(z))))

    def forward(self, x):
        a = F.adaptive_avg_pool2d(x, 1).flatten(1)
        m = F.adaptive_max_pool2d(x, 1).flatten(1)
        k = self.kind
        if k == "se":
            s = self.mlp(a)
        elif k == "avgmax-mul":
            s = self.mlp(a * m)
        elif k == "avgmax-add":
            s = self.mlp(a + m)
        elif k == "dual-mul":
            s = self.mlp(a) * self.mlp(m)
        elif k == "dual-add":
            s = self.mlp(a) + self.mlp(m)
        elif k == "cbam":
            s = torch.sigmoid(self.fc2(F.relu(self.fc1(a))) + self.fc2(F.relu(self.fc1(m))))
        elif k == "eca":
            s = torch.sigmoid(self.conv(a.unsqueeze(1)).squeeze(1))
        else:
            raise ValueError(k)
        return x * s[:, :, None, None]


def attention_block(base, kind, reduction):
    """torchvision's block with `se` after the last BN, before the addition."""

    class Block(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            channels = (self.bn3 if base is Bottleneck else self.bn2).num_features
            self.se = ChannelAttention(kind, channels, reduction)

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            if base is Bottleneck:
                out = self.relu(self.bn2(self.conv2(out)))
                out = self.bn3(self.conv3(out))
            else:
                out = self.bn2(self.conv2(out))
            out = self.se(out)
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    Block.__name__ = base.__name__ + "_" + kind
    return Block


def build_model(options):
    """A reference model for senet-lab options (camelCase keys as in JS)."""
    arch = options.get("arch", "resnet18")
    attention = options.get("attention", "none")
    stem = options.get("stem", "imagenet")
    in_channels = options.get("inChannels", 3)
    num_classes = options.get("numClasses", 1000)
    reduction = options.get("reduction", 16)
    zero_init = options.get("zeroInitResidual", False)
    base, layers = ARCH_LAYERS[arch]
    if attention == "none" and torchvision is not None:
        model = getattr(torchvision.models, arch)(num_classes=num_classes, zero_init_residual=zero_init)
    else:
        block = base if attention == "none" else attention_block(base, attention, reduction)
        model = ResNet(block, layers, num_classes=num_classes, zero_init_residual=zero_init)
    if stem == "cifar" or in_channels != 3:
        if stem == "cifar":
            model.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
            model.maxpool = nn.Identity()
        else:
            model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    return model


def load_reference(options, weights):
    """A reference model with a safetensors file loaded strictly (no renaming)."""
    model = build_model(options)
    state, _ = load_safetensors(weights)
    model.load_state_dict(state, strict=True)
    return model


@torch.no_grad()
def randomize(model, generator):
    """Random weights with non-trivial BN statistics, scaled to keep logits O(1)."""
    for name, module in model.named_modules():
        if isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            module.weight.copy_(torch.rand(n, generator=generator) * 0.8 + 0.4)
            module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
            module.running_var.copy_(torch.rand(n, generator=generator) * 1.5 + 0.5)
            module.num_batches_tracked.fill_(int(torch.randint(1, 100000, (1,), generator=generator)))
        elif isinstance(module, (nn.Conv2d, nn.Conv1d, nn.Linear)):
            fan_in = module.weight[0].numel()
            module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * math.sqrt(1.0 / fan_in))
            if module.bias is not None:
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)


# --- safetensors ---------------------------------------------------------

_DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float64: "F64", torch.float16: "F16"}
_FROM = {v: k for k, v in _DTYPES.items()}


def save_safetensors(path, state_dict, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, tensor in state_dict.items():
        t = tensor.detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = entry["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + b : base + e]), dtype=_FROM[entry["dtype"]])
        out[name] = t.reshape(entry["shape"]).clone()
    return out, metadata


def metadata_for(options):
    """senet-lab's __metadata__ (see native/model/model_options.cpp toMetadata)."""
    return {
        "format": "pt",
        "senet_lab.format": "1",
        "arch": options.get("arch", "resnet18"),
        "stem": options.get("stem", "imagenet"),
        "attention": options.get("attention", "none"),
        "in_channels": str(options.get("inChannels", 3)),
        "num_classes": str(options.get("numClasses", 1000)),
        "reduction": str(options.get("reduction", 16)),
    }
