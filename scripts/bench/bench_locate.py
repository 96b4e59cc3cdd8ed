"""The locator's benchmark (`make bench-locate`): WBC detection recall and precision on the shared field sets,
and the time per field, through `build/native/bloodcell locate --json`.

    /usr/bin/python3 scripts/bench/bench_locate.py [--sets bcdd,pig-test] [--cli build/native/bloodcell] [--dump FILE]
                                                 [--no-photos]

Matching (issue 14): a detection matches a true WBC box when IoU >= 0.3 or its centre lies inside the box;
one detection per box (greedy, best IoU first); a located cell labelled platelet is not a WBC detection.
bcdd: fields/bcdd (annotations.csv, label wbc); pig-*: fields/pig-smartphone/{train,valid,test} (YOLO labels).
Timing: a 640x480 frame and a 4000x3000 phone photo, made from the pig-smartphone fixture (its eyepiece circle
scaled to the frame's height on a black surround, JPEG), located and every cell classified natively (CLI,
median of 3 runs, model load included) and in the wasm engine under node (scripts/bench/bench_locate_wasm.mjs).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ROOT.parent / "shared" / "data" / "fields"


def load_set(name):
    """[(image path, [(x0, y0, x1, y1) px])] for a set."""
    if name == "bcdd":
        d = FIELDS / "bcdd"
        boxes = {}
        for r in csv.DictReader(open(d / "annotations.csv")):
            boxes.setdefault(r["image"], [])
            if r["label"] == "wbc":
                boxes[r["image"]].append(tuple(float(r[k]) * 256 for k in ("xmin", "ymin", "xmax", "ymax")))
        return [(d / "images" / im, b) for im, b in sorted(boxes.items())]
    if name.startswith("pig-"):
        d = FIELDS / "pig-smartphone" / name[4:]
        out = []
        for img in sorted((d / "images").glob("*.jpg")):
            lab = d / "labels" / (img.stem + ".txt")
            b = []
            for line in (lab.read_text().splitlines() if lab.exists() else []):
                v = line.split()
                if len(v) == 5:
                    cx, cy, w, h = (float(t) * 416 for t in v[1:])
                    b.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
            out.append((img, b))
        return out
    raise SystemExit(f"unknown set {name}")


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def match(dets, truths):
    """Greedy one-to-one matching; returns the number of matched true boxes."""
    pairs = []
    for i, d in enumerate(dets):
        cx, cy = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2
        for j, t in enumerate(truths):
            v = iou(d, t)
            inside = t[0] <= cx <= t[2] and t[1] <= cy <= t[3]
            if v >= 0.3 or inside:
                pairs.append((v, i, j))
    pairs.sort(reverse=True)
    used_d, used_t = set(), set()
    for v, i, j in pairs:
        if i in used_d or j in used_t:
            continue
        used_d.add(i)
        used_t.add(j)
    return len(used_t)


def run(cli, images, model=None):
    cmd = [str(cli), "locate", "--json"] + (["--model", str(model)] if model else []) + [str(p) for p in images]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    if len(lines) != len(images):
        raise SystemExit(f"locate printed {len(lines)} lines for {len(images)} images: {out.stderr.strip()}")
    return lines, dt


def make_photos(out_dir):
    from PIL import Image
    src = Image.open(ROOT / "tests" / "fixtures" / "fields" / "pig-389_JPG.jpg").convert("RGB")
    paths = []
    for w, h, q in ((640, 480, 92), (4000, 3000, 90)):
        canvas = Image.new("RGB", (w, h), (8, 8, 8))
        canvas.paste(src.resize((h, h), Image.BICUBIC), ((w - h) // 2, 0))
        p = Path(out_dir) / f"field-{w}x{h}.jpg"
        canvas.save(p, quality=q)
        paths.append(p)
    return paths


def time_photos(cli, paths):
    rows = []
    wasm = subprocess.run(["node", str(ROOT / "scripts" / "bench" / "bench_locate_wasm.mjs"), "--runs", "5"]
                          + [str(p) for p in paths], capture_output=True, text=True)
    wasm_rows = [json.loads(l) for l in wasm.stdout.splitlines() if l.strip()]
    if len(wasm_rows) != len(paths):
        raise SystemExit(f"wasm timing failed: {wasm.stderr.strip()}")
    for p, wr in zip(paths, wasm_rows):
        ts = []
        for _ in range(3):
            lines, dt = run(cli, [p])
            ts.append(dt * 1000)
        ts.sort()
        rows.append((p.name, lines[0]["width"], lines[0]["height"], len(lines[0]["cells"]), ts[1], wr["ms_median"],
                     wr["decode_locate_ms_median"]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="bcdd,pig-test")
    ap.add_argument("--cli", default=str(ROOT / "build" / "native" / "bloodcell"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--dump", default=None, help="write each image's detections and misses as JSON lines")
    ap.add_argument("--no-photos", action="store_true", help="skip the 640x480 / 4000x3000 timing")
    args = ap.parse_args()
    dump = open(args.dump, "w") if args.dump else None
    summary = []
    for name in args.sets.split(","):
        items = load_set(name)
        lines, dt = run(args.cli, [p for p, _ in items], args.model)
        tp = n_true = n_det = 0
        errors = 0
        for (p, truths), res in zip(items, lines):
            if "error" in res:
                errors += 1
                dets = []
            else:
                dets = [tuple(c["box"]) for c in res["cells"] if c.get("label") != "platelet"]
            m = match(dets, truths)
            tp += m
            n_true += len(truths)
            n_det += len(dets)
            if dump:
                dump.write(json.dumps({"set": name, "file": str(p), "truth": truths, "found": res.get("cells", []),
                                       "matched": m, "scale": res.get("scale")}) + "\n")
        rec = tp / n_true if n_true else float("nan")
        prec = tp / n_det if n_det else float("nan")
        ms = dt * 1000 / len(items)
        print(f"{name}: {len(items)} fields, {n_true} WBC boxes, {n_det} detections, {tp} matched: "
              f"recall {rec:.1%}, precision {prec:.1%}, {ms:.1f} ms per field (native CLI, decode + locate + "
              f"classify, model load amortised){f', {errors} unreadable' if errors else ''}")
        summary.append((name, rec, prec, ms))
    timing = ""
    if not args.no_photos:
        out_dir = ROOT / "build" / "bench"
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, w, h, n, nat, wasm_ms, wasm_loc in time_photos(args.cli, make_photos(out_dir)):
            print(f"{name}: {w}x{h}, {n} cells; native {nat:.0f} ms (CLI, decode + locate + classify, model load "
                  f"included); wasm {wasm_ms:.0f} ms (decode + locate {wasm_loc:.0f} ms, then the cells), node, one thread")
            timing += f"; {w}x{h} native {nat:.0f} ms wasm {wasm_ms:.0f} ms"
    print("locate: " + "; ".join(f"{n} recall {r:.1%} precision {p:.1%} {ms:.1f} ms" for n, r, p, ms in summary)
          + timing)


if __name__ == "__main__":
    sys.exit(main())
