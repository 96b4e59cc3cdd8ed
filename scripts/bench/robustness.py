"""robustness.py - how the model holds up on images unlike its training data (`make robustness`; not in make test).

    /usr/bin/python3 scripts/bench/robustness.py [--model models/bloodcell.bin] [--ckpt build/train/main/model.pt]
        [--per-class N] [--jobs 2] [--backend xnnpack|own] [--tecom ../shared/data/external/zheng_tecom]
        [--json build/robustness.json] [--record docs/robustness.md]

1. Our PBC test split (models/split.csv) under fixed, seeded corruptions (scripts/model/corruptions.py: colour
   shifts, stain, blur, noise, JPEG, low resolution, zoom; 3 severities each), applied to the decoded image before
   the engine's own preprocessing.  Corrupted images are written losslessly (BMP) in chunks under build/ and
   deleted after each chunk.
2. The Zheng 2018 Tecom set (another lab, camera and stain; 5 WBC classes), scored strictly over the 8 classes:
   a prediction of ig, erythroblast or platelet is an error.  It is measured here, never trained or tuned on.
Each is classified by the int8 engine (the native CLI, the same C code as the browser) and, when a float
checkpoint is given and exists, by the float network in torch on the same preprocessed pixels.
The last line: mean corruption accuracy (over every corruption and severity) and the Tecom accuracy.
Relative paths are resolved against the repository root."""
import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))
import colour_norm  # noqa: E402
import corruptions  # noqa: E402
import engine_runs as er  # noqa: E402
import pbc_data  # noqa: E402

TECOM_DEFAULT = "../shared/data/external/zheng_tecom"
CHUNK = 512


NORMALISERS = {"none": None, "background": colour_norm.background_balance}


def corrupt_to_bmp(job):
    src, dest, kind, sev, seed, norm = job
    with Image.open(src) as im:
        im.load()
        img = pbc_data._to_rgb(im)
    if kind != "clean":
        img = corruptions.corrupt(img, kind, sev, seed)
    if NORMALISERS[norm]:
        img = NORMALISERS[norm](img)
    img.save(dest, "BMP")
    return dest


class FloatNet:
    """The float network of a training checkpoint on the engine's preprocessing (pbc_data.load_cell_image)."""

    def __init__(self, ckpt):
        import torch
        from model import CellNet
        torch.set_num_threads(2)
        ck = torch.load(ckpt, map_location="cpu")
        self.cfg = ck["config"]
        self.net = CellNet(self.cfg["arch"])
        self.net.load_state_dict(ck["state_dict"])
        self.net.eval()
        self.torch = torch
        self.mean = np.asarray(self.cfg["mean"], np.float32)
        self.std = np.asarray(self.cfg["std"], np.float32)

    def predict(self, paths):
        t = self.torch
        out = []
        for i in range(0, len(paths), 128):
            x = np.stack([pbc_data.load_cell_image(p, self.cfg["size"]) for p in paths[i:i + 128]]).astype(np.float32)
            x = (x / 255.0 - self.mean) / self.std
            xt = t.from_numpy(x.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=t.channels_last)
            with t.no_grad():
                out.append(self.net(xt).argmax(1).numpy())
        return np.concatenate(out) if out else np.zeros(0, int)


def engine_predict(args, model_bytes, paths):
    res, _ = er.run_engine(args.cli, args.model, model_bytes, paths, jobs=args.jobs, use_cache=False, verbose=False,
                           backend=args.backend, extra=("--tta",) if args.tta else ())
    pred = np.full(len(paths), -1)
    for i, p in enumerate(paths):
        r = res[str(p)]
        if "logits" in r:
            pred[i] = int(np.argmax(r["logits"]))
    return pred


def run_condition(args, model_bytes, fnet, items, kind, sev, work, pool):
    """Accuracy of the engine (and the float net) on items [(abs path, label)] under one corruption."""
    y = np.array([c for _, c in items])
    pred_q, pred_f = [], []
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        d = work / f"{kind}-{sev}"
        d.mkdir(parents=True, exist_ok=True)
        jobs = [(src, str(d / f"{start + i:05d}.bmp"), kind, sev, 1000 + start + i, args.colour_norm)
                for i, (src, _) in enumerate(chunk)]
        paths = list(pool.map(corrupt_to_bmp, jobs, chunksize=16))
        pred_q.append(engine_predict(args, model_bytes, paths))
        if fnet:
            pred_f.append(fnet.predict(paths))
        shutil.rmtree(d)
    acc_q = float((np.concatenate(pred_q) == y).mean())
    acc_f = float((np.concatenate(pred_f) == y).mean()) if fnet else None
    return acc_q, acc_f


def tecom_items(root):
    items = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if d.name not in er.CLASSES:
            er.fail(f"{er.rel(d)}: folder is not one of the 8 classes")
        ci = er.CLASSES.index(d.name)
        items += [(str(f), ci) for f in sorted(d.iterdir()) if f.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp")]
    return items


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def pct(v):
    return "not measured" if v is None else f"{100 * v:.2f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/bloodcell.bin")
    ap.add_argument("--ckpt", default="build/train/main/model.pt", help="float checkpoint (skipped, and said, if absent)")
    ap.add_argument("--data", default="../shared/data/pbc")
    ap.add_argument("--tecom", default=TECOM_DEFAULT)
    ap.add_argument("--cli", default="build/native/bloodcell")
    ap.add_argument("--backend", choices=("own", "xnnpack"), default="xnnpack")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--per-class", type=int, default=0, help="at most N test images per class (0: the whole split)")
    ap.add_argument("--kinds", default=",".join(corruptions.KINDS))
    ap.add_argument("--colour-norm", choices=sorted(NORMALISERS), default="none",
                    help="a candidate normalisation applied to every image before the engine (colour_norm.py)")
    ap.add_argument("--tta", action="store_true", help="the engine's careful mode: the 8 dihedral views averaged")
    ap.add_argument("--json", default="build/robustness.json")
    ap.add_argument("--record", default=None, help="append the table, with date, machine and command, to this file")
    args = ap.parse_args()
    args.model, args.cli = er.resolve(args.model), er.resolve(args.cli)
    data_dir, tecom_dir = er.resolve(args.data).resolve(), er.resolve(args.tecom).resolve()
    er.check_cli(args.cli)
    model_bytes, g = er.check_model(args.model)
    kinds = [k for k in args.kinds.split(",") if k]
    for k in kinds:
        if k not in corruptions.KINDS:
            er.fail(f"unknown corruption {k!r}; known: {', '.join(corruptions.KINDS)}")

    split = er.select(er.read_split(), "test", args.per_class or None)
    er.check_data(data_dir, split)
    items = [(str(data_dir / f), ci) for f, ci in split]
    ckpt = er.resolve(args.ckpt)
    fnet = FloatNet(ckpt) if ckpt.is_file() else None
    float_note = f"float: {er.rel(ckpt)}" if fnet else f"float: not measured (no checkpoint at {er.rel(ckpt)})"
    if args.tta:
        float_note += "; int8 in careful mode (--tta, 8 dihedral views)"
    if args.colour_norm != "none":
        float_note += f"; every image normalised first: {args.colour_norm} (scripts/model/colour_norm.py)"
    print(f"model {er.rel(args.model)} ({g.name}); {len(items)} PBC test images; {float_note}", file=sys.stderr)

    work = er.REPO / "build" / "robustness-work"
    shutil.rmtree(work, ignore_errors=True)
    t0 = time.time()
    rows = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        conds = [("clean", 0)] + [(k, s) for k in kinds for s in corruptions.SEVERITIES]
        for kind, sev in conds:
            aq, af = run_condition(args, model_bytes, fnet, items, kind, sev, work, pool)
            rows.append({"corruption": kind, "severity": sev, "int8": aq, "float": af})
            print(f"  {kind:<11} {sev}  int8 {pct(aq):>8}  float {pct(af):>8}  ({time.time() - t0:.0f} s)", file=sys.stderr)
        tecom = None
        if tecom_dir.is_dir():
            titems = tecom_items(tecom_dir)
            y = np.array([c for _, c in titems])
            d = work / "tecom"
            d.mkdir(parents=True, exist_ok=True)
            tpaths = list(pool.map(corrupt_to_bmp, [(p, str(d / f"{i:05d}.bmp"), "clean", 0, 0, args.colour_norm)
                                                    for i, (p, _) in enumerate(titems)], chunksize=16))
            pq = engine_predict(args, model_bytes, tpaths)
            pf = fnet.predict(tpaths) if fnet else None
            per_class = {er.CLASSES[c]: {"n": int((y == c).sum()), "int8_correct": int(((pq == y) & (y == c)).sum())}
                         for c in sorted(set(y.tolist()))}
            confused = {er.CLASSES[c]: int((pq == c).sum()) for c in range(len(er.CLASSES))}
            tecom = {"n": len(titems), "int8": float((pq == y).mean()),
                     "float": float((pf == y).mean()) if pf is not None else None,
                     "per_class": per_class, "int8_predicted_as": confused}
    shutil.rmtree(work, ignore_errors=True)

    corrupted = [r for r in rows if r["corruption"] != "clean"]
    mean_q = float(np.mean([r["int8"] for r in corrupted])) if corrupted else None
    mean_f = float(np.mean([r["float"] for r in corrupted])) if corrupted and fnet else None
    clean = rows[0]
    lines = ["| corruption | severity 1 | severity 2 | severity 3 | mean |", "|---|---|---|---|---|",
             f"| none (clean) | {pct(clean['int8'])} / {pct(clean['float'])} | | | |"]
    for k in kinds:
        rs = [r for r in corrupted if r["corruption"] == k]
        mq = float(np.mean([r["int8"] for r in rs]))
        mf = float(np.mean([r["float"] for r in rs])) if fnet else None
        lines.append(f"| {k} | " + " | ".join(f"{pct(r['int8'])} / {pct(r['float'])}" for r in rs) +
                     f" | {pct(mq)} / {pct(mf)} |")
    if tecom:
        lines.append(f"| Tecom, strict 8-way ({tecom['n']} images) | {pct(tecom['int8'])} / {pct(tecom['float'])} | | | |")
    last = (f"mean corruption accuracy: int8 {pct(mean_q)} (float {pct(mean_f)}); Tecom strict 8-way: "
            f"int8 {pct(tecom['int8'] if tecom else None)} (float {pct(tecom['float'] if tecom else None)})")
    table = "\n".join(lines)
    print("\ncells: int8 through the engine / float (torch)\n" + table)
    if tecom:
        print("Tecom per class (int8 correct / n): " + ", ".join(f"{k} {v['int8_correct']}/{v['n']}"
                                                               for k, v in tecom["per_class"].items()))
        print("Tecom int8 predictions by class: " + ", ".join(f"{k} {v}" for k, v in tecom["int8_predicted_as"].items() if v))
    out = {"date": datetime.date.today().isoformat(), "model": {"file": er.rel(args.model), "name": g.name},
           "float": er.rel(ckpt) if fnet else None, "pbc_test_images": len(items), "backend": args.backend,
           "colour_norm": args.colour_norm, "tta": args.tta,
           "conditions": rows, "mean_corruption_accuracy": {"int8": mean_q, "float": mean_f}, "tecom": tecom,
           "seconds": round(time.time() - t0, 1), "command": "scripts/bench/robustness.py " + " ".join(sys.argv[1:])}
    jp = er.resolve(args.json)
    jp.parent.mkdir(parents=True, exist_ok=True)
    jp.write_text(json.dumps(out, indent=1) + "\n")
    if args.record:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        rec = (f"\n### {out['date']}: `{out['command']}`\n\nModel `{er.rel(args.model)}` ({g.name}), {len(items)} PBC test "
               f"images, {args.backend} backend; {float_note}. Machine: {cpu_name()}, {os.cpu_count()} CPUs, "
               f"Python {platform.python_version()}; load average at the end {load}; {out['seconds']:.0f} s. Cells: int8 "
               f"through the engine / float.\n\n{table}\n\n{last}\n")
        with open(er.resolve(args.record), "a") as f:
            f.write(rec)
    print(last)


if __name__ == "__main__":
    main()
