"""PIL / torchvision side of the data-pipeline tests: writes image fixtures,
decodes them as torchvision's pil_loader does, and applies
torchvision.transforms.functional to uint8 tensors."""
import torch
import torchvision.transforms.functional as TF
from PIL import Image


def write_images(req):
    """specs: [{path, mode, width, height, seed, format, quality?}] -> random images written with PIL."""
    for spec in req["specs"]:
        g = torch.Generator().manual_seed(spec.get("seed", 0))
        w, h, mode = spec["width"], spec["height"], spec["mode"]
        # Smooth random fields compress like photos, so JPEG artefacts stay realistic.
        base = torch.rand((4, max(1, h // 8), max(1, w // 8)), generator=g)
        field = torch.nn.functional.interpolate(base[None], size=(h, w), mode="bilinear", align_corners=False)[0]
        data = (field * 255).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
        if mode in ("RGB", "CMYK"):
            img = Image.fromarray(data[:, :, :3], "RGB").convert(mode)
        elif mode == "RGBA":
            img = Image.fromarray(data, "RGBA")
        elif mode == "L":
            img = Image.fromarray(data[:, :, 0], "L")
        elif mode == "LA":
            img = Image.fromarray(data[:, :, :3], "RGB").convert("LA")
        elif mode == "P":
            img = Image.fromarray(data[:, :, :3], "RGB").convert("P", palette=Image.ADAPTIVE, colors=32)
        elif mode == "I;16":
            img = Image.fromarray((data[:, :, 0].astype("uint16") * 257), "I;16")
        else:
            raise ValueError(mode)
        kwargs = {"quality": spec.get("quality", 90)} if spec["format"] == "JPEG" else {}
        img.save(spec["path"], spec["format"], **kwargs)
    return {}


def load(path, mode):
    with open(path, "rb") as f:
        return Image.open(f).convert(mode)  # torchvision's pil_loader


def decode(req):
    img = load(req["path"], req["mode"])
    t = TF.pil_to_tensor(img)  # C x H x W uint8
    return {"shape": list(t.shape), "pixels": t.flatten().tolist()}


def transform(req):
    """ops applied in order to the uint8 tensor, then scaled to [0, 1] and normalized."""
    t = TF.pil_to_tensor(load(req["path"], req["mode"]))
    mean = std = None
    for op in req["ops"]:
        kind = op["type"]
        if kind == "resize":
            t = TF.resize(t, op["size"], antialias=True)
        elif kind == "centerCrop":
            t = TF.center_crop(t, op["size"])
        elif kind == "crop":
            t = TF.crop(t, op["top"], op["left"], op["height"], op["width"])
        elif kind == "hflip":
            t = TF.hflip(t)
        elif kind == "grayscaleToRgb":
            t = t.expand(3, -1, -1)
        elif kind == "normalize":
            mean, std = op["mean"], op["std"]
        else:
            raise ValueError(kind)
    x = TF.convert_image_dtype(t, torch.float32)
    if mean is not None:
        x = TF.normalize(x, mean, std)
    return {"shape": list(x.shape), "values": x.flatten().tolist()}


COMMANDS = {"write_images": write_images, "decode": decode, "transform": transform}
