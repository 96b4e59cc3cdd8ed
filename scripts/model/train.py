"""Train CellNet on the PBC data (CPU, from scratch).

    /usr/bin/python3 scripts/model/train.py [--data DIR] [--size S] [--epochs E]
                                      [--out build/train/NAME] [--limit-per-class N] [--smoke]
    /usr/bin/python3 scripts/model/train.py --bench 96,128,160     # training throughput only

Outputs in OUT: log.txt, metrics.json, model.pt (EMA weights + config),
test_predictions.csv, last.pt (checkpoint for --resume).
"""
import argparse
import copy
import csv
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pbc_data  # noqa: E402
from pbc_data import CLASSES, CACHE_DIR, REPO_ROOT, SUBCLASS_LIST, DataError  # noqa: E402
from model import CellNet, DEFAULT_ARCH, count_macs, count_params, describe  # noqa: E402

DEFAULTS = dict(size=128, epochs=30, batch_size=64, lr=0.1, wd=5e-4, warmup=2.0,
                label_smoothing=0.1, ema_decay=0.998, balance="sqrt", seed=1)


# --------------------------------------------------------------------------
# logging
# --------------------------------------------------------------------------
class Logger:
    def __init__(self, path=None):
        self.f = open(path, "a") if path else None

    def __call__(self, msg=""):
        print(msg, flush=True)
        if self.f:
            self.f.write(msg + "\n")
            self.f.flush()


def fmt_time(s):
    s = int(round(s))
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# --------------------------------------------------------------------------
# augmentation (batched, on CPU, float images in [0, 1], NCHW)
# --------------------------------------------------------------------------
_RGB_FROM_HED = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
RGB_FROM_HED = torch.tensor(_RGB_FROM_HED, dtype=torch.float32)
HED_FROM_RGB = torch.tensor(np.linalg.inv(_RGB_FROM_HED), dtype=torch.float32)

AUG = dict(
    p_exact=0.3,            # only flips / 90-degree rotations (no resampling blur)
    scale=(0.9, 1.1),       # zoom factor
    translate=0.04,         # fraction of the half-width
    p_hed=0.8, hed_alpha=0.15, hed_beta=0.04,
    brightness=0.12, contrast=0.15, saturation=0.25, channel_gain=0.05,
    p_blur=0.25, blur_sigma=(0.3, 1.1),
    p_noise=0.2, noise_std=0.02,
)


# What other labs' images do to a cell (issue 13), stronger than AUG: wider stain, white balance and
# exposure, a camera tone curve, defocus, sensor noise, JPEG artefacts, low-resolution cameras, and
# zoom up to 2x (another magnification or a tighter crop).  An experiment: `--aug strong`.
AUG_STRONG = dict(
    AUG,
    scale=(0.85, 2.0),
    hed_alpha=0.3, hed_beta=0.08,
    brightness=0.3, contrast=0.3, saturation=0.5, channel_gain=0.15,
    p_gamma=0.5, gamma=(0.6, 1.8),
    p_blur=0.5, blur_sigma=(0.3, 2.0),
    p_noise=0.4, noise_std=0.06,
    p_lowres=0.3, lowres=(1.5, 4.0),
    p_jpeg=0.3, jpeg_quality=(20, 90),
)
# Half the batch as the shipped model sees it, half as other labs' cameras might show it: the strong
# preset alone slows learning of the clean images (12 epochs: val 90.1%), the mix keeps them in view.
AUG_MIXED = dict(mix=(AUG, AUG_STRONG), p_second=0.5)
AUGS = {"default": AUG, "strong": AUG_STRONG, "mixed": AUG_MIXED}


def u(n, lo, hi, g):
    return torch.rand(n, generator=g) * (hi - lo) + lo


def aug_geometry(x, g, a=AUG):
    """Random flips, 90-degree rotations, free rotation + scale jitter + small shift,
    one affine_grid/grid_sample with reflection padding."""
    n = x.shape[0]
    k = torch.randint(0, 4, (n,), generator=g).float() * (math.pi / 2)
    free = torch.rand(n, generator=g) >= a["p_exact"]
    ang = k + torch.where(free, u(n, -math.pi / 4, math.pi / 4, g), torch.zeros(n))
    scale = torch.where(free, u(n, *a["scale"], g), torch.ones(n))
    tx = torch.where(free, u(n, -a["translate"], a["translate"], g), torch.zeros(n))
    ty = torch.where(free, u(n, -a["translate"], a["translate"], g), torch.zeros(n))
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    c, s = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([c * flip, -s, tx], 1),
                         torch.stack([s * flip, c, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def aug_colour(x, g, a=AUG):
    """HED stain jitter, brightness / contrast / saturation, per-channel gain."""
    n = x.shape[0]
    # HED-space jitter (Tellez et al. 2018 style): OD -> stains, scale+shift, back
    m = (torch.rand(n, generator=g) < a["p_hed"]).float()[:, None]
    alpha = 1 + m * (torch.rand(n, 3, generator=g) * 2 - 1) * a["hed_alpha"]
    beta = m * (torch.rand(n, 3, generator=g) * 2 - 1) * a["hed_beta"]
    od = -torch.log(x.clamp(min=1.0 / 255))
    hed = torch.einsum("nchw,cd->ndhw", od, HED_FROM_RGB)
    hed = hed * alpha[:, :, None, None] + beta[:, :, None, None]
    od = torch.einsum("ndhw,dc->nchw", hed, RGB_FROM_HED)
    x = torch.exp(-od).clamp(0, 1)
    # brightness, contrast, saturation, white balance
    b = u(n, 1 - a["brightness"], 1 + a["brightness"], g)[:, None, None, None]
    x = x * b
    ct = u(n, 1 - a["contrast"], 1 + a["contrast"], g)[:, None, None, None]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * ct + mean
    gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    sat = u(n, 1 - a["saturation"], 1 + a["saturation"], g)[:, None, None, None]
    x = gray + (x - gray) * sat
    gain = 1 + (torch.rand(n, 3, generator=g) * 2 - 1)[:, :, None, None] * a["channel_gain"]
    x = (x * gain).clamp(0, 1)
    if a.get("p_gamma", 0) > 0:
        gm = torch.where(torch.rand(n, generator=g) < a["p_gamma"], u(n, *a["gamma"], g), torch.ones(n))
        x = x.clamp(min=1e-6) ** gm[:, None, None, None]
    return x


def aug_blur_noise(x, g, a=AUG):
    """Occasional slight Gaussian blur (separable 5-tap, per-sample sigma) and noise."""
    n, ch, h, w = x.shape
    sel = torch.nonzero(torch.rand(n, generator=g) < a["p_blur"]).flatten()
    if len(sel):
        sig = u(len(sel), *a["blur_sigma"], g)
        t = torch.arange(-2, 3, dtype=torch.float32)
        k = torch.exp(-(t[None] ** 2) / (2 * sig[:, None] ** 2))
        k = (k / k.sum(1, keepdim=True)).repeat_interleave(ch, 0)      # (len*ch, 5)
        y = x[sel].reshape(1, len(sel) * ch, h, w)
        y = F.pad(y, (2, 2, 2, 2), mode="reflect")
        y = F.conv2d(y, k[:, None, None, :], groups=len(sel) * ch)
        y = F.conv2d(y, k[:, None, :, None], groups=len(sel) * ch)
        x = x.clone()
        x[sel] = y.reshape(len(sel), ch, h, w)
    if a.get("p_lowres", 0) > 0:
        x = aug_lowres(x, g, a)
    if a.get("p_jpeg", 0) > 0:
        x = aug_jpeg(x, g, a)
    nm = (torch.rand(n, generator=g) < a["p_noise"]).float() * torch.rand(n, generator=g) * a["noise_std"]
    if nm.any():
        x = x + torch.randn(x.shape, generator=g) * nm[:, None, None, None]
    return x.clamp(0, 1)


def aug_lowres(x, g, a):
    """A low-resolution camera: some samples down-sampled by a random factor (area) and back (bilinear)."""
    n, _, h, w = x.shape
    sel = torch.nonzero(torch.rand(n, generator=g) < a["p_lowres"]).flatten().tolist()
    if not sel:
        return x
    x = x.clone()
    for i, f in zip(sel, u(len(sel), *a["lowres"], g).tolist()):
        small = F.interpolate(x[i:i + 1], size=(max(8, int(h / f)), max(8, int(w / f))), mode="area")
        x[i:i + 1] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return x


def aug_jpeg(x, g, a):
    """JPEG artefacts: some samples encoded and decoded by Pillow at a random quality."""
    import io
    from PIL import Image
    n = x.shape[0]
    sel = torch.nonzero(torch.rand(n, generator=g) < a["p_jpeg"]).flatten().tolist()
    if not sel:
        return x
    lo, hi = a["jpeg_quality"]
    qs = torch.randint(lo, hi + 1, (len(sel),), generator=g).tolist()
    x = x.clone()
    for i, q in zip(sel, qs):
        arr = (x[i].permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        buf = io.BytesIO()
        Image.fromarray(arr, "RGB").save(buf, "JPEG", quality=int(q))
        buf.seek(0)
        with Image.open(buf) as im:
            x[i] = torch.from_numpy(np.asarray(im.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)
    return x


def augment(u8_nhwc, g, a=AUG):
    if "mix" in a:
        second = torch.rand(u8_nhwc.shape[0], generator=g) < a["p_second"]
        x = torch.empty(u8_nhwc.shape[0], u8_nhwc.shape[3], u8_nhwc.shape[1], u8_nhwc.shape[2])
        for sel, preset in ((~second, a["mix"][0]), (second, a["mix"][1])):
            if sel.any():
                x[sel] = augment(u8_nhwc[sel], g, preset)
        return x
    x = u8_nhwc.permute(0, 3, 1, 2).float().div_(255)
    x = aug_geometry(x, g, a)
    x = aug_colour(x, g, a)
    x = aug_blur_noise(x, g, a)
    return x


def normalise(x01, mean, std):
    """x01: float NCHW in [0,1] -> (x - mean) / std, channels_last."""
    x = (x01 - mean[None, :, None, None]) / std[None, :, None, None]
    return x.contiguous(memory_format=torch.channels_last)


def u8_to_input(u8_nhwc, mean, std):
    return normalise(u8_nhwc.permute(0, 3, 1, 2).float().div_(255), mean, std)


# --------------------------------------------------------------------------
# EMA
# --------------------------------------------------------------------------
class EMA:
    def __init__(self, model, decay):
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay = decay
        self.updates = 0

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        msd = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


# --------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------
def sub_probs(logits):
    """Sub-class probabilities (N, len(SUBCLASS_LIST)), each softmax within its class; logits (N, 8 + subs)."""
    out = torch.zeros(logits.shape[0], len(SUBCLASS_LIST))
    for _, cols in pbc_data.subclass_groups():
        out[:, cols] = F.softmax(logits[:, [len(CLASSES) + j for j in cols]], 1)
    return out


def sub_loss(logits, sub, label_smoothing):
    """Cross-entropy within each sub-class group, over the samples whose file carries a sub-class."""
    total, n = logits.new_zeros(()), 0
    for _, cols in pbc_data.subclass_groups():
        sel = torch.nonzero((sub >= cols[0]) & (sub <= cols[-1])).flatten()
        if len(sel):
            lg = logits[sel][:, [len(CLASSES) + j for j in cols]]
            total = total + F.cross_entropy(lg, sub[sel] - cols[0], label_smoothing=label_smoothing,
                                            reduction="sum")
            n += len(sel)
    return total / max(n, 1)


@torch.no_grad()
def predict(model, images_u8, mean, std, bs=256, with_sub=False):
    """Class probabilities (N, 8); with_sub: also the sub-class probabilities (N, len(SUBCLASS_LIST))."""
    model.eval()
    out, subs = [], []
    for i in range(0, len(images_u8), bs):
        lg = model(u8_to_input(images_u8[i:i + bs], mean, std))
        out.append(F.softmax(lg[:, :len(CLASSES)], 1))
        if with_sub:
            subs.append(sub_probs(lg) if lg.shape[1] > len(CLASSES) else torch.zeros(len(lg), 0))
    p = torch.cat(out).numpy() if out else np.zeros((0, len(CLASSES)), np.float32)
    if not with_sub:
        return p
    return p, (torch.cat(subs).numpy() if subs else np.zeros((0, 0), np.float32))


def sub_metrics(y_true, sub_true, probs, sp):
    """Per class with sub-classes: accuracy of the sub-class call among its images that carry one (given the
    class is right: 'conditional'), and of class and sub-class both right ('joint'); confusion within."""
    res = {}
    if sp.shape[1] == 0:
        return res
    for ci, cols in pbc_data.subclass_groups():
        sel = np.nonzero((sub_true >= cols[0]) & (sub_true <= cols[-1]))[0]
        if not len(sel):
            continue
        pred_sub = np.array(cols)[sp[sel][:, cols].argmax(1)]
        right_cls = probs[sel].argmax(1) == ci
        cm = [[int(((sub_true[sel] == a) & (pred_sub == b)).sum()) for b in cols] for a in cols]
        res[CLASSES[ci]] = {
            "n": int(len(sel)), "subclasses": [SUBCLASS_LIST[j][1] for j in cols],
            "conditional_accuracy": float((pred_sub == sub_true[sel]).mean()),
            "joint_accuracy": float(((pred_sub == sub_true[sel]) & right_cls).mean()),
            "per_subclass_recall": {SUBCLASS_LIST[j][1]: float((pred_sub[sub_true[sel] == j] == j).mean())
                                    for j in cols if (sub_true[sel] == j).any()},
            "confusion_matrix": cm, "confusion_matrix_axes": "rows = true sub-class, columns = predicted",
        }
    return res


def metrics(y_true, probs):
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    y_pred = probs.argmax(1)
    labels = list(range(len(CLASSES)))
    p, r, f, sup = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else 0.0,
        "macro_f1": float(np.mean(f)),
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                          "support": int(sup[i])} for i, c in enumerate(CLASSES)},
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "confusion_matrix_axes": "rows = true class, columns = predicted class, order = classes",
    }


# --------------------------------------------------------------------------
# throughput benchmark
# --------------------------------------------------------------------------
def bench(sizes, bs, arch, log):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    for s in sizes:
        model = CellNet(arch).to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
        u8 = torch.randint(0, 256, (bs, s, s, 3), dtype=torch.uint8)
        y = torch.randint(0, len(CLASSES), (bs,))
        mean, std = torch.full((3,), 0.5), torch.full((3,), 0.25)
        model.train()

        def step(do_aug):
            x = augment(u8, g) if do_aug else u8.permute(0, 3, 1, 2).float().div(255)
            loss = F.cross_entropy(model(normalise(x, mean, std)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        res = {}
        for do_aug in (False, True):
            for _ in range(2):
                step(do_aug)
            n, t0 = 8, time.time()
            for _ in range(n):
                step(do_aug)
            res[do_aug] = bs * n / (time.time() - t0)
        t0 = time.time()
        for _ in range(5):
            augment(u8, g)
        aug_ips = 5 * bs / (time.time() - t0)
        log(f"bench size {s}: {count_macs(model, s) / 1e6:.1f} M MACs, {count_params(model) / 1e6:.3f} M params; "
            f"train fwd+bwd {res[False]:.0f} img/s, with augmentation {res[True]:.0f} img/s, "
            f"augmentation alone {aug_ips:.0f} img/s (batch {bs}, {torch.get_num_threads()} threads)")


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def parse_args():
    ap = argparse.ArgumentParser(description="Train CellNet on PBC (CPU).")
    ap.add_argument("--data", default=None,
                    help=f"data folder (default {pbc_data.DEFAULT_DATA} relative to the repo root)")
    ap.add_argument("--size", type=int, default=None, help=f"input size (default {DEFAULTS['size']})")
    ap.add_argument("--epochs", type=int, default=None, help=f"epochs (default {DEFAULTS['epochs']})")
    ap.add_argument("--out", default=None, help="output folder (default build/train/main)")
    ap.add_argument("--limit-per-class", type=int, default=None,
                    help="use at most N images per class in each split (debugging)")
    ap.add_argument("--smoke", action="store_true",
                    help="1 epoch on 8 images per class per split, out build/train/smoke")
    ap.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    ap.add_argument("--lr", type=float, default=DEFAULTS["lr"], help="peak SGD learning rate")
    ap.add_argument("--wd", type=float, default=DEFAULTS["wd"])
    ap.add_argument("--warmup", type=float, default=DEFAULTS["warmup"], help="warm-up epochs")
    ap.add_argument("--label-smoothing", type=float, default=DEFAULTS["label_smoothing"])
    ap.add_argument("--ema-decay", type=float, default=DEFAULTS["ema_decay"])
    ap.add_argument("--balance", choices=["none", "sqrt", "full"], default=DEFAULTS["balance"],
                    help="class-balanced sampling: p(class) ~ n^0 (full), n^0.5 (sqrt), n (none)")
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--stages", default=None, metavar="C:N:S,...",
                    help="residual stages as out_channels:blocks:first_stride, e.g. 48:1:1,96:1:2,128:2:2")
    ap.add_argument("--block", choices=("basic", "plain", "ir"), default="basic",
                    help="block family: basic (ResNet, shipped), plain (VGG-style, no shortcut), ir (MobileNetV2 "
                         "inverted residual with a depthwise 3x3)")
    ap.add_argument("--norm", choices=("bn", "gn"), default="bn",
                    help="BatchNorm (folds into the int8 convs) or GroupNorm (float only: not exportable)")
    ap.add_argument("--expand", type=int, default=4, help="the ir blocks' expansion factor")
    ap.add_argument("--aug", choices=sorted(AUGS), default="default",
                    help="augmentation preset: default (the shipped model's) or strong (other labs' images)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--subclasses", action="store_true",
                    help="also learn the sub-classes the file prefixes carry (band/segmented, PMY/MY/MMY)")
    ap.add_argument("--sub-weight", type=float, default=0.5, help="weight of the sub-class loss")
    ap.add_argument("--resize-mode", type=int, choices=(0, 1), default=0,
                    help="0 centre crop (PIL reference), 1 scale-aware framing (src/frame.c through "
                         "build/native/libbcpreprocess.so)")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    ap.add_argument("--bench", default=None, metavar="SIZES",
                    help="only measure training throughput at these sizes, e.g. 96,128,160")
    a = ap.parse_args()
    if a.smoke:
        a.limit_per_class = a.limit_per_class or 8
        a.epochs = a.epochs or 1
        a.out = a.out or "build/train/smoke"
        a.warmup = min(a.warmup, 0.0)
    a.size = a.size or DEFAULTS["size"]
    a.epochs = a.epochs or DEFAULTS["epochs"]
    a.out = a.out or "build/train/main"
    if a.size < 32 or a.epochs < 1 or a.batch_size < 2 or (a.limit_per_class is not None and a.limit_per_class < 1):
        pbc_data.fail("--size must be >= 32, --epochs >= 1, --batch-size >= 2, --limit-per-class >= 1")
    return a


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    arch = dict(DEFAULT_ARCH)
    if args.subclasses:
        arch["num_subclasses"] = len(SUBCLASS_LIST)
    if args.block != "basic" or args.norm != "bn":
        arch.update(block=args.block, norm=args.norm, name=f"cellnet-{args.block}-{args.norm}")
        if args.block == "ir":
            arch["expand"] = args.expand
    if args.stages:
        try:
            arch["stages"] = [tuple(int(v) for v in st.split(":")) for st in args.stages.split(",")]
            assert all(len(st) == 3 and min(st) >= 1 for st in arch["stages"])
        except (ValueError, AssertionError):
            pbc_data.fail(f"--stages expects out_channels:blocks:first_stride,..., got {args.stages!r}")

    if args.bench:
        try:
            sizes = [int(s) for s in args.bench.split(",")]
        except ValueError:
            pbc_data.fail(f"--bench expects sizes like 96,128,160, got {args.bench!r}")
        bench(sizes, args.batch_size, arch, Logger())
        return

    t_start = time.time()
    out = Path(args.out)
    if not out.is_absolute():
        out = REPO_ROOT / out
    try:
        data_dir = pbc_data.resolve_data_dir(args.data)
        rows = pbc_data.load_or_make_split(data_dir)
    except DataError as e:
        pbc_data.fail(str(e))

    out.mkdir(parents=True, exist_ok=True)
    if not args.resume and (out / "log.txt").exists():
        (out / "log.txt").unlink()
    log = Logger(out / "log.txt")
    log(f"# train.py {' '.join(sys.argv[1:])}")
    log(f"data {data_dir}, out {out}, size {args.size}, epochs {args.epochs}, batch {args.batch_size}, "
        f"lr {args.lr}, wd {args.wd}, warmup {args.warmup}, label smoothing {args.label_smoothing}, "
        f"EMA {args.ema_decay}, balance {args.balance}, seed {args.seed}, threads {torch.get_num_threads()}, "
        f"augmentation {args.aug}, resize mode {args.resize_mode}, "
        f"sub-classes {arch.get('num_subclasses', 0)} (weight {args.sub_weight})")

    # ---- select files, load cache
    if args.limit_per_class:
        taken, sel = {}, []
        for r in rows:
            key = (r[1], r[2])
            if taken.get(key, 0) < args.limit_per_class:
                taken[key] = taken.get(key, 0) + 1
                sel.append(r)
        rows = sel
        cache_path = CACHE_DIR / f"pbc_S{args.size}_limit{args.limit_per_class}"
    else:
        cache_path = CACHE_DIR / f"pbc_S{args.size}"
    cache_path = cache_path.with_name(cache_path.name + ("" if args.resize_mode == 0 else f"_m{args.resize_mode}")
                                      + ".npz")
    files = [r[0] for r in rows]
    subs = np.array([pbc_data.subclass_of(f) for f in files], dtype=np.int64)
    try:
        images, labels = pbc_data.load_cache(data_dir, files, args.size, cache_path, processes=2,
                                             mode=args.resize_mode)
    except DataError as e:
        pbc_data.fail(str(e))
    split = np.array([r[2] for r in rows])
    idx = {s: np.nonzero(split == s)[0] for s in ("train", "val", "test")}
    counts = pbc_data.split_counts(rows)
    log("split: " + ", ".join(f"{s} {len(idx[s])}" for s in idx) + " | train per class: "
        + ", ".join(f"{c} {counts[c]['train']}" for c in CLASSES))
    if len(idx["train"]) == 0 or len(idx["val"]) == 0:
        pbc_data.fail("the split has no training or no validation images")

    images_t = torch.from_numpy(images)
    labels_t = torch.from_numpy(labels)
    tr_img, tr_lab = images_t[idx["train"]], labels_t[idx["train"]]
    tr_sub = torch.from_numpy(subs)[idx["train"]]
    va_img, va_lab = images_t[idx["val"]], labels[idx["val"]]

    # ---- normalisation statistics (training split, u8/255)
    s1 = np.zeros(3)
    s2 = np.zeros(3)
    for i in range(0, len(tr_img), 512):
        ch = tr_img[i:i + 512].numpy().reshape(-1, 3).astype(np.float64) / 255.0
        s1 += ch.sum(0)
        s2 += (ch * ch).sum(0)
    npix = len(tr_img) * args.size * args.size
    mean_np = s1 / npix
    std_np = np.sqrt(np.maximum(s2 / npix - mean_np ** 2, 1e-12))
    mean = torch.tensor(mean_np, dtype=torch.float32)
    std = torch.tensor(std_np, dtype=torch.float32)
    log(f"normalisation (train split): mean {[round(v, 6) for v in mean_np]}, std {[round(v, 6) for v in std_np]}")

    # ---- model, optimiser
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    model = CellNet(arch).to(memory_format=torch.channels_last)
    macs, params = count_macs(model, args.size), count_params(model)
    log(f"model {arch['name']}: {macs / 1e6:.1f} M MACs at {args.size}x{args.size}, {params / 1e6:.3f} M params")
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.wd},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    ema = EMA(model, args.ema_decay)
    crit = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    bs = min(args.batch_size, len(tr_img))
    steps_per_epoch = max(1, len(tr_img) // bs)
    total_steps = steps_per_epoch * args.epochs
    warm_steps = int(args.warmup * steps_per_epoch)

    def lr_at(step):
        if step < warm_steps:
            return args.lr * (step + 1) / warm_steps
        t = (step - warm_steps) / max(1, total_steps - warm_steps)
        return args.lr * 0.5 * (1 + math.cos(math.pi * t))

    # class-balanced sampling weights
    n_c = np.bincount(tr_lab.numpy(), minlength=len(CLASSES)).astype(np.float64)
    power = {"none": 0.0, "sqrt": 0.5, "full": 1.0}[args.balance]
    w_sample = torch.tensor((1.0 / np.maximum(n_c, 1) ** power)[tr_lab.numpy()], dtype=torch.float64)
    p_class = n_c * (1.0 / np.maximum(n_c, 1) ** power)
    p_class /= p_class.sum()
    log("sampling probability per class: " + ", ".join(f"{c} {p_class[i]:.3f}" for i, c in enumerate(CLASSES)))

    start_epoch, history = 0, []
    ckpt_path = out / "last.pt"
    if args.resume and ckpt_path.exists():
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        ema.model.load_state_dict(ck["ema"])
        ema.updates = ck["ema_updates"]
        opt.load_state_dict(ck["opt"])
        g.set_state(ck["rng"])
        start_epoch, history = ck["epoch"], ck["history"]
        log(f"resumed from {ckpt_path} at epoch {start_epoch}")

    # ---- train
    t_train = time.time()
    t_prev_epochs = sum(h["epoch_s"] for h in history)
    for epoch in range(start_epoch, args.epochs):
        t_ep = time.time()
        model.train()
        order = torch.multinomial(w_sample, steps_per_epoch * bs, replacement=True, generator=g)
        tot_loss, tot_correct, tot_n = 0.0, 0, 0
        for it in range(steps_per_epoch):
            step = epoch * steps_per_epoch + it
            for grp in opt.param_groups:
                grp["lr"] = lr_at(step)
            bi = order[it * bs:(it + 1) * bs]
            x = normalise(augment(tr_img[bi], g, AUGS[args.aug]), mean, std)
            y = tr_lab[bi]
            logits = model(x)
            loss = crit(logits[:, :len(CLASSES)], y)
            if logits.shape[1] > len(CLASSES):
                loss = loss + args.sub_weight * sub_loss(logits, tr_sub[bi], args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            ema.update(model)
            tot_loss += loss.item() * len(y)
            tot_correct += (logits[:, :len(CLASSES)].argmax(1) == y).sum().item()
            tot_n += len(y)
        probs = predict(ema.model, va_img, mean, std)
        val_acc = float((probs.argmax(1) == va_lab).mean())
        ep_s = time.time() - t_ep
        t_prev_epochs += ep_s
        done = epoch + 1
        eta = t_prev_epochs / (done - start_epoch if done > start_epoch else 1) * (args.epochs - done) \
            if start_epoch == 0 else ep_s * (args.epochs - done)
        history.append({"epoch": done, "train_loss": tot_loss / tot_n, "train_acc": tot_correct / tot_n,
                        "val_acc_ema": val_acc, "lr": lr_at(step), "epoch_s": ep_s})
        log(f"epoch {done:3d}/{args.epochs}  train loss {tot_loss / tot_n:.4f}  train acc {tot_correct / tot_n:.4f}  "
            f"val acc (EMA) {val_acc:.4f}  lr {lr_at(step):.4f}  epoch {ep_s:.0f}s  "
            f"elapsed {fmt_time(time.time() - t_start)}  ETA {fmt_time(eta)}")
        torch.save({"model": model.state_dict(), "ema": ema.model.state_dict(), "ema_updates": ema.updates,
                    "opt": opt.state_dict(), "rng": g.get_state(), "epoch": done, "history": history},
                   ckpt_path)

    # ---- final evaluation of the EMA model (float)
    final = ema.model.eval()
    results = {}
    for s in ("val", "test"):
        probs, sp = predict(final, images_t[idx[s]], mean, std, with_sub=True)
        m = metrics(labels[idx[s]], probs)
        m["subclasses"] = sub_metrics(labels[idx[s]], subs[idx[s]], probs, sp)
        results[s] = (probs, m, sp)
        log(f"final EMA {s}: accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  (n={len(idx[s])})")
        for c, sm in m["subclasses"].items():
            log(f"  {s} {c} sub-classes ({'/'.join(sm['subclasses'])}, n={sm['n']}): conditional accuracy "
                f"{sm['conditional_accuracy']:.4f}, joint {sm['joint_accuracy']:.4f}, recall "
                + ", ".join(f"{k} {v:.3f}" for k, v in sm["per_subclass_recall"].items()))
    test_m = results["test"][1]
    log("test per-class recall: " + ", ".join(f"{c} {test_m['per_class'][c]['recall']:.3f}" for c in CLASSES))
    log("test confusion matrix (rows true, cols pred, order " + ",".join(CLASSES) + "):")
    for row in test_m["confusion_matrix"]:
        log("  " + " ".join(f"{v:4d}" for v in row))

    state = {k: v.detach().clone().contiguous() for k, v in final.state_dict().items()}
    config = {
        "size": args.size, "mean": [float(v) for v in mean_np], "std": [float(v) for v in std_np],
        "classes": CLASSES, "arch": arch, "preproc": pbc_data.PREPROC_VERSION,
        "macs": macs, "params": params, "epochs": args.epochs, "batch_size": args.batch_size,
        "lr": args.lr, "wd": args.wd, "label_smoothing": args.label_smoothing, "ema_decay": args.ema_decay,
        "balance": args.balance, "seed": args.seed, "limit_per_class": args.limit_per_class,
        "smoke": bool(args.smoke), "augmentation": AUGS[args.aug], "augmentation_preset": args.aug,
        "resize_mode": args.resize_mode, "preproc_version": pbc_data.PREPROC_VERSIONS[args.resize_mode],
        "subclasses": [list(t) for t in SUBCLASS_LIST] if arch.get("num_subclasses") else [],
        "sub_weight": args.sub_weight,
    }
    torch.save({"state_dict": state, "config": config}, out / "model.pt")
    total_s = time.time() - t_start
    with open(out / "metrics.json", "w") as f:
        json.dump({"model": "EMA weights, float32", "val": results["val"][1], "test": test_m,
                   "history": history, "config": config, "total_time_s": total_s,
                   "train_time_s": time.time() - t_train,
                   "note": "image-level split; near-duplicate cells of one donor may sit on both sides"},
                  f, indent=1)
    with open(out / "test_predictions.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        sp = results["test"][2]
        w.writerow(["file", "true", "pred"] + [f"p_{c}" for c in CLASSES]
                   + [f"p_{c}_{n}" for c, n in SUBCLASS_LIST][:sp.shape[1]])
        probs = results["test"][0]
        for j, i in enumerate(idx["test"]):
            w.writerow([files[i], CLASSES[labels[i]], CLASSES[int(probs[j].argmax())]]
                       + [f"{p:.6f}" for p in probs[j]] + [f"{p:.6f}" for p in sp[j]])
    log(f"wrote {out / 'model.pt'}, metrics.json, test_predictions.csv; total time {fmt_time(total_s)}")


if __name__ == "__main__":
    main()
