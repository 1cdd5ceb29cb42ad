"""PyTorch's own numbers for `senet_dist_test --timing`, measured the same way.

Run with Debian's interpreter (it has torch + torchvision):
    /usr/bin/python3 test/native/dist/ddp_reference.py [port]

Prints, for resnet18 and resnet50 parameter shapes, 2 processes on loopback
with Gloo, one thread each, medians of 25 after 3 warm-ups:
  - DDP's bucket layout (torch.distributed._compute_bucket_assignment_by_size
    over the parameters in reverse order with caps [1 MiB, 25 MiB]: the layout
    DDP rebuilds to after its first iteration) — GradSync must print the same;
  - the time to all-reduce those buckets (async, then wait), and one flat buffer;
  - a synthetic backward (loss = sum_i (p_i * w_i).sum()) locally and under
    DistributedDataParallel: DDP's added cost per step.
"""
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torchvision
from torch.nn.parallel import DistributedDataParallel

REPS = 25
MODELS = ["resnet18", "resnet50"]


class Synthetic(torch.nn.Module):
    def __init__(self, shapes):
        super().__init__()
        self.ps = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(s)) for s in shapes])
        self.ws = [torch.randn(s) for s in shapes]

    def forward(self):
        loss = torch.zeros(())
        for p, w in zip(self.ps, self.ws):
            loss = loss + (p * w).sum()
        return loss


def timed(f):
    ms = []
    for i in range(REPS + 3):
        dist.barrier()
        start = time.perf_counter()
        f()
        if i >= 3:
            ms.append((time.perf_counter() - start) * 1000)
    return statistics.median(ms), min(ms)


def rank_main(rank, port):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    for name in MODELS:
        params = list(getattr(torchvision.models, name)().parameters())
        reverse = list(reversed(params))
        buckets, _ = dist._compute_bucket_assignment_by_size(reverse, [1 << 20, 25 << 20])
        sizes = [sum(reverse[i].numel() for i in b) for b in buckets]
        buffers = [torch.randn(n) for n in sizes]

        def bucketed():
            for w in [dist.all_reduce(b, async_op=True) for b in buffers]:
                w.wait()

        flat = torch.randn(sum(sizes))
        b_med, b_min = timed(bucketed)
        f_med, f_min = timed(lambda: dist.all_reduce(flat))

        torch.manual_seed(rank)
        model = Synthetic([p.shape for p in params])
        ddp = DistributedDataParallel(model)

        def local():
            for p in model.parameters():
                p.grad = None
            model().backward()

        def synced():
            for p in model.parameters():
                p.grad = None
            ddp().backward()

        for _ in range(3):
            synced()  # past DDP's first-iteration bucket rebuild
        l_med, _ = timed(local)
        s_med, _ = timed(synced)
        if rank == 0:
            print(f"{name}: {sum(sizes)} floats, DDP buckets [MiB: {' '.join(str(round(n * 4 / 2**20)) for n in sizes)}], "
                  f"PyTorch {torch.__version__} gloo, 2 ranks, median of {REPS}")
            print(f"  all-reduce, DDP's buckets  {b_med:8.1f} ms  (min {b_min:.1f})")
            print(f"  all-reduce, one flat buffer {f_med:8.1f} ms  (min {f_min:.1f})")
            print(f"  backward local {l_med:.1f} ms, under DDP {s_med:.1f} ms => +{s_med - l_med:.1f} ms per step", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(rank_main, args=(int(sys.argv[1]) if len(sys.argv) > 1 else 29731,), nprocs=2)
