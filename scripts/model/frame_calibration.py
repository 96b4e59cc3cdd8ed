"""Measures the scale-aware framing (src/frame.c, resize mode 1) over a PBC split with the engine's own C code
(scripts/model/pbc_data.py: CPreprocessor), and prints the numbers src/frame.h is calibrated with
(docs/framing.md): the median red-cell diameter, the median white-cell box side of the nucleated classes, the
cell side / min(W, H) percentiles, the paths taken and the time per image.

    make build/native/libbcpreprocess.so
    /usr/bin/python3 scripts/model/frame_calibration.py --split train [--jobs 2] [--json build/frame/train.json]
    /usr/bin/python3 scripts/model/frame_calibration.py --split val --rescale 80    PIL-rescaled images: does the
                                                                                    crop follow the factor?
"""
import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pbc_data  # noqa: E402

SIZE = 128


def _one(path):
    t = time.perf_counter()
    _, frame = pbc_data.load_cell_image_c(path, SIZE, 1)
    frame["ms"] = (time.perf_counter() - t) * 1e3
    with Image.open(path) as im:
        frame["w"], frame["h"] = im.size
    return frame


def pct(a, qs):
    return " ".join(f"p{q:g} {np.percentile(a, q):.1f}" for q in qs) if len(a) else "none"


RESCALE_FACTORS = (0.33, 0.5, 0.75, 1.5, 2.0, 3.0)


def rescale_table(paths, n, seed=2):
    """For n images (seeded pick) with a ruler: the crop side of each PIL rescale (Lanczos down, bicubic up)
    over the original's crop side times the factor, and how far the crop centre moved (original px)."""
    rng = np.random.RandomState(seed)
    pick = [paths[i] for i in rng.permutation(len(paths))[:n]]
    pre = pbc_data.CPreprocessor(SIZE, mode=1)
    rows = {s: [] for s in RESCALE_FACTORS}
    used = 0
    for p in pick:
        im = Image.open(p).convert("RGB")
        f0 = pre(np.asarray(im))[1]
        if f0["path"] != 1:
            continue
        used += 1
        c0 = (f0["crop_x0"] + f0["crop_side"] / 2, f0["crop_y0"] + f0["crop_side"] / 2)
        for s in RESCALE_FACTORS:
            sim = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS if s < 1 else Image.BICUBIC)
            f = pre(np.asarray(sim))[1]
            if f["path"] != 1:
                rows[s].append(None)
                continue
            c = ((f["crop_x0"] + f["crop_side"] / 2) / s, (f["crop_y0"] + f["crop_side"] / 2) / s)
            rows[s].append((f["crop_side"] / (f0["crop_side"] * s), float(np.hypot(c[0] - c0[0], c[1] - c0[1]))))
    print(f"rescaled: {used} of {n} images had a ruler; crop side / (original crop side x factor)")
    print("| factor | ruler kept | median ratio | abs. error p50 | p90 | max | centre shift p90 |")
    print("|---|---|---|---|---|---|---|")
    for s, v in rows.items():
        ok = [x for x in v if x is not None]
        err = np.abs(np.array([x[0] for x in ok]) - 1)
        print(f"| x{s:g} | {len(ok) / max(1, len(v)):.1%} | {np.median([x[0] for x in ok]):.3f} | {np.median(err):.1%} | "
              f"{np.percentile(err, 90):.1%} | {err.max():.1%} | {np.percentile([x[1] for x in ok], 90):.1f} px |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--split", default="train", choices=("train", "val", "test"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", default=None, help="write every image's frame result here")
    ap.add_argument("--rescale", type=int, default=0, metavar="N", help="only the rescaling table, on N images")
    args = ap.parse_args()
    data_dir = pbc_data.resolve_data_dir(args.data)
    rows = [r for r in pbc_data.read_split() if r[2] == args.split]
    paths = [str(data_dir / r[0]) for r in rows]
    if args.rescale:
        rescale_table(paths, args.rescale)
        return
    t0 = time.time()
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        frames = pool.map(_one, paths, chunksize=64)
    wall = time.time() - t0
    for r, f in zip(rows, frames):
        f["file"], f["class"] = r[0], r[1]
    paths_taken = np.array([f["path"] for f in frames])
    d = np.array([f["rbc_diameter_x16"] for f in frames if f["path"] == 1]) / 16.0
    n = len(frames)
    print(f"{args.split}: {n} images, {args.jobs} processes, {wall:.0f} s; per image (decode + frame + resize to {SIZE}) "
          f"median {np.median([f['ms'] for f in frames]):.1f} ms")
    print("paths: " + ", ".join(f"{name} {np.sum(paths_taken == i)} ({np.mean(paths_taken == i):.1%})"
                                for i, name in enumerate(pbc_data.FRAME_PATHS)))
    print(f"red-cell diameter (rbc path), px: median {np.median(d):.2f} (x16: {np.median(d * 16):.0f}); "
          + pct(d, (1, 5, 25, 75, 95, 99)))
    print(f"red cells agreeing per image: median {np.median([f['rbc_count'] for f in frames if f['path'] == 1]):.0f}")
    nucleated = [f for f in frames if f["class"] != "platelet" and f["has_cell"]]
    side = np.array([max(f["cell_x1"] - f["cell_x0"], f["cell_y1"] - f["cell_y0"]) for f in nucleated])
    print(f"white-cell box side, nucleated classes ({len(nucleated)} with a cell): median {np.median(side):.1f} px; "
          + pct(side, (5, 95)))
    cells = [f for f in frames if f["has_cell"]]
    frac = np.array([max(f["cell_x1"] - f["cell_x0"], f["cell_y1"] - f["cell_y0"]) / min(f["w"], f["h"]) for f in cells])
    print(f"cell side / min(W,H), all {len(cells)} with a cell: " + pct(frac * 1000, (50, 95, 99, 99.5, 99.9, 100))
          + " (per mille)")
    print(f"no white cell found: {n - len(cells)}; more than one: {sum(1 for f in frames if f['cells_found'] > 1)}")
    crop = np.array([f["crop_side"] for f in frames if f["path"] == 1])
    print("crop side (rbc path), px: " + pct(crop, (5, 50, 95)))
    for c in pbc_data.CLASSES:
        fc = [f for f in frames if f["class"] == c]
        dc = [f["rbc_diameter_x16"] / 16 for f in fc if f["path"] == 1]
        print(f"  {c:12s} {len(fc):5d} images: rbc {np.mean([f['path'] == 1 for f in fc]):.1%}, "
              f"cell {np.mean([f['path'] == 2 for f in fc]):.1%}, median diameter {np.median(dc):.1f} px")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(frames))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
