"""A contact sheet of how resize mode 1 frames a folder of images (the engine's C code, through
scripts/model/pbc_data.py: CPreprocessor): each original with its crop drawn (green: red-cell ruler, orange: white-cell
size, grey: centre crop) beside the 128 px image the model sees. Prints the paths taken and the diameters found.

    make build/native/libbcpreprocess.so
    /usr/bin/python3 scripts/model/frame_sheet.py FOLDER [--out build/frame/sheet.png] [--every N] [--max M]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pbc_data  # noqa: E402

COLOURS = {"rbc": (0, 170, 0), "cell": (230, 120, 0), "centre": (120, 120, 120)}
TILE = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--out", default="build/frame/sheet.png")
    ap.add_argument("--every", type=int, default=1, help="take every N-th image (sorted by path)")
    ap.add_argument("--max", type=int, default=60, help="images on the sheet (all are counted)")
    ap.add_argument("--cols", type=int, default=6)
    args = ap.parse_args()
    files = sorted(p for p in Path(args.folder).rglob("*") if p.suffix.lower() in pbc_data.IMAGE_EXTS)
    if not files:
        pbc_data.fail(f"no images under {args.folder}")
    pre = pbc_data.CPreprocessor(TILE, mode=1)
    counts, diam, tiles = {}, [], []
    for i, f in enumerate(files):
        try:
            rgb, fr = pre(str(f))
        except ValueError as e:
            print(f"{f}: {e}")
            continue
        path = pbc_data.FRAME_PATHS[fr["path"]]
        counts[path] = counts.get(path, 0) + 1
        if fr["rbc_diameter_x16"]:
            diam.append(fr["rbc_diameter_x16"] / 16)
        if i % args.every == 0 and len(tiles) < args.max:
            tiles.append((f, rgb, fr, path))
    print(f"{sum(counts.values())} images: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if diam:
        print(f"red-cell diameter where found: median {np.median(diam):.1f} px, "
              f"p5 {np.percentile(diam, 5):.1f}, p95 {np.percentile(diam, 95):.1f}")
    cols, cell_w = args.cols, 2 * TILE + 8
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * cell_w, rows * (TILE + 14)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (f, rgb, fr, path) in enumerate(tiles):
        x, y = (k % cols) * cell_w, (k // cols) * (TILE + 14)
        im = Image.open(f).convert("RGB")
        # the original and its crop, at one scale that shows both
        x0, y0, side = fr["crop_x0"], fr["crop_y0"], fr["crop_side"]
        lo_x, lo_y = min(0, x0), min(0, y0)
        span = max(im.width, im.height, x0 + side - lo_x, y0 + side - lo_y, im.width - lo_x, im.height - lo_y)
        s = TILE / span
        canvas = Image.new("RGB", (TILE, TILE), (235, 235, 235))
        canvas.paste(im.resize((max(1, round(im.width * s)), max(1, round(im.height * s)))),
                     (round(-lo_x * s), round(-lo_y * s)))
        d = ImageDraw.Draw(canvas)
        d.rectangle([round((x0 - lo_x) * s), round((y0 - lo_y) * s), round((x0 - lo_x + side) * s) - 1,
                     round((y0 - lo_y + side) * s) - 1], outline=COLOURS[path])
        sheet.paste(canvas, (x, y))
        sheet.paste(Image.fromarray(rgb), (x + TILE + 2, y))
        label = f"{path} {fr['rbc_diameter_x16'] / 16:.0f}px" if fr["rbc_diameter_x16"] else path
        draw.text((x + 2, y + TILE), f"{f.parent.name[:4]}/{f.stem[:10]} {label}", fill=COLOURS[path])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out} ({len(tiles)} images)")


if __name__ == "__main__":
    main()
