"""PyTorch side of the training parity tests: the same steps with
torch.optim.SGD / AdamW and torch.optim.lr_scheduler, on identical batches."""
import math

import torch
import torch.nn.functional as F
from torch.optim import lr_scheduler

from senet_reference import load_reference, load_safetensors, save_safetensors


def read_data(req):
    n, c, h, w = req["shape"]
    with open(req["images"], "rb") as f:
        images = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(n, c, h, w)
    with open(req["labels"], "rb") as f:
        labels = torch.frombuffer(bytearray(f.read()), dtype=torch.int32).to(torch.int64)
    return images, labels


def param_groups(model, opt):
    if opt.get("decayNormAndBias", True):
        return [{"params": list(model.parameters())}]
    decay = [p for p in model.parameters() if p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.dim() <= 1]
    return [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model, opt):
    groups = param_groups(model, opt)
    if opt["type"] == "sgd":
        return torch.optim.SGD(groups, lr=opt["lr"], momentum=opt.get("momentum", 0.9),
                               dampening=opt.get("dampening", 0.0), nesterov=opt.get("nesterov", False),
                               weight_decay=opt.get("weightDecay", 1e-4))
    beta1, beta2 = opt.get("betas", [0.9, 0.999])
    return torch.optim.AdamW(groups, lr=opt["lr"], betas=(beta1, beta2), eps=opt.get("eps", 1e-8),
                             weight_decay=opt.get("weightDecay", 0.01))


def make_scheduler(optimizer, sched, iterations):
    warmup = sched.get("warmupIterations", 0)
    kind = sched["type"]
    if kind == "step":
        main = lr_scheduler.StepLR(optimizer, step_size=sched["stepSize"], gamma=sched.get("gamma", 0.1))
    elif kind == "multistep":
        main = lr_scheduler.MultiStepLR(optimizer, milestones=sched["milestones"], gamma=sched.get("gamma", 0.1))
    elif kind == "cosine":
        main = lr_scheduler.CosineAnnealingLR(optimizer, T_max=iterations - warmup, eta_min=sched.get("finalLr", 0.0))
    else:
        main = lr_scheduler.LambdaLR(optimizer, lambda t: 1.0)
    if warmup == 0:
        return main
    linear = lr_scheduler.LinearLR(optimizer, start_factor=sched.get("warmupStartFactor", 0.1), total_iters=warmup)
    return lr_scheduler.SequentialLR(optimizer, [linear, main], milestones=[warmup])


def train_steps(req):
    model = load_reference(req["options"], req["weights"])
    channels_last = req.get("channelsLast", False)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    images, labels = read_data(req)
    opt = make_optimizer(model, req["optimizer"])
    iterations = req["iterations"]
    sched = make_scheduler(opt, req["schedule"], iterations)
    batch = req["batchSize"]
    steps_per_epoch = images.shape[0] // batch
    losses, lrs = [], []
    for t in range(req["steps"]):
        start = (t % steps_per_epoch) * batch
        x, y = images[start:start + batch], labels[start:start + batch]
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        # amp 'bf16': forward + loss under CPU autocast, fp32 master weights and optimizer (torch.autocast('cpu')).
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=req.get("amp") == "bf16"):
            loss = F.cross_entropy(model(x), y, label_smoothing=req.get("labelSmoothing", 0.0))
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    save_safetensors(req["weightsOut"], {k: v.contiguous() for k, v in model.state_dict().items()})
    return {"losses": losses, "lrs": lrs}


def schedule_values(req):
    """lr at each iteration from torch's schedulers (no model needed)."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=req["lr"])
    sched = make_scheduler(opt, req["schedule"], req["iterations"])
    values = []
    for _ in range(req["count"]):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return {"lrs": values}


@torch.no_grad()
def evaluate(req):
    model = load_reference(req["options"], req["weights"])
    model.eval()
    images, labels = read_data(req)
    output = model(images)
    loss = F.cross_entropy(output, labels).item()
    # torchvision references/classification/utils.py accuracy()
    maxk = min(5, output.shape[1])
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(labels[None])
    top1 = correct[:1].flatten().sum(dtype=torch.float32).item() * 100.0 / labels.shape[0]
    top5 = correct[:maxk].flatten().sum(dtype=torch.float32).item() * 100.0 / labels.shape[0]
    k = output.shape[1]
    confusion = torch.zeros(k, k, dtype=torch.int64)
    for t, p in zip(labels.tolist(), output.argmax(1).tolist()):
        confusion[t, p] += 1
    return {"top1": top1, "top5": top5, "loss": loss, "confusion": confusion.tolist()}


def compare_weights(req):
    """Worst per-tensor error of file `ours` against `theirs`: max|a-b| / max(max|b|, 1e-3)."""
    ours, _ = load_safetensors(req["ours"])
    theirs, _ = load_safetensors(req["theirs"])
    if sorted(ours) != sorted(theirs):
        return {"keysMatch": False, "key": "", "error": math.inf}
    worst_key, worst = "", 0.0
    for key, b in theirs.items():
        a, b = ours[key].double(), b.double()
        if a.shape != b.shape:
            return {"keysMatch": True, "key": key, "error": math.inf}
        error = ((a - b).abs().max() / max(b.abs().max().item(), 1e-3)).item() if b.numel() else 0.0
        if error > worst:
            worst_key, worst = key, error
    return {"keysMatch": True, "key": worst_key, "error": worst}


COMMANDS = {"compare_weights": compare_weights, "train_steps": train_steps, "schedule_values": schedule_values, "evaluate": evaluate}
