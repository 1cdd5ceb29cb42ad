"""torchvision side of the loader benchmark: fixture generation and
ImageFolder/FashionMNIST + DataLoader throughput with the same transforms."""
import gzip
import json
import os
import shutil
import sys
import time

import torch
import torchvision
from torchvision import transforms as T
from PIL import Image


def make_folder(root, side, classes, per_class):
    """Random smooth JPEGs (quality 90) in root/<class>/<i>.jpg; skipped when already there."""
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return
    g = torch.Generator().manual_seed(side)
    for c in range(classes):
        os.makedirs(os.path.join(root, f"class{c:03d}"), exist_ok=True)
        for i in range(per_class):
            base = torch.rand((3, max(2, side // 16), max(2, side // 16)), generator=g)
            img = torch.nn.functional.interpolate(base[None], size=(side, side), mode="bilinear", align_corners=False)[0]
            data = (img * 255).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
            Image.fromarray(data, "RGB").save(os.path.join(root, f"class{c:03d}", f"{i:04d}.jpg"), "JPEG", quality=90)
    open(marker, "w").close()


def fashion_root(tmp):
    """torchvision's FashionMNIST wants root/FashionMNIST/raw/<uncompressed files>."""
    raw = os.path.join(tmp, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        target = os.path.join(raw, name)
        if not os.path.exists(target):
            with gzip.open(f"/usr/share/datasets/fashion-mnist/{name}.gz") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return tmp


def throughput(dataset, workers, batch, batches):
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                                         persistent_workers=False)
    it = iter(loader)
    next(it)  # warm-up: workers started, first batch built
    start = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * batch / (time.perf_counter() - start)


def main():
    req = json.loads(sys.argv[1])
    torch.set_num_threads(1)
    out = {}
    if req["kind"] == "folder":
        make_folder(req["root"], req["side"], req["classes"], req["perClass"])
        if req.get("generateOnly"):
            print(json.dumps({}))
            return
        size = req["side"]
        tf = T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(),
                        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
        ds = torchvision.datasets.ImageFolder(req["root"], transform=tf)
    else:
        tf = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.286], [0.353])])
        ds = torchvision.datasets.FashionMNIST(fashion_root(req["root"]), train=True, transform=tf, download=False)
    for workers in req["workers"]:
        out[str(workers)] = throughput(ds, workers, req["batch"], req["batches"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
