"""evaluate.py - evaluate the int8 engine (native CLI) on the val and test splits, calibrate the
softmax temperature, choose the app's "unidentified" threshold and write the model card.

    /usr/bin/python3 scripts/model/evaluate.py [--model models/bloodcell.bin] [--data ../shared/data/pbc]
        [--limit-per-class N] [--out models] [--jobs 1] [--write-model FILE | --no-write-model]
        [--train-dir build/train/main] [--cli build/native/bloodcell]

Relative paths are resolved against the repository root (not the current directory).

What it does
  1. Runs `bloodcell classify --json --embedding` (the C int8 engine, not torch) on every val and
     test image of models/split.csv (or N per class and split with --limit-per-class; a fixed-seed
     stratified subset).  Raw logits and embeddings are cached in build/eval-cache/, keyed by the
     model bytes (temperature excluded) and the CLI binary, so a rerun or build_reference_map.py
     reuses them.
  2. From the raw logits: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix
     (rows true, columns predicted) on val and test.
  3. Temperature scaling: T minimising the val NLL of softmax(logits / T) (log-spaced grid over
     0.3..5, then a finer grid around the best); ECE (15 equal-width bins of the max probability)
     and NLL on test at T = 1 and at T.  T is written into the model file (the engine's softmax
     uses it): in place into --model, or into --write-model FILE, or not at all with
     --no-write-model.  With --limit-per-class the model is only rewritten if --write-model is given.
  4. The 20 largest test losses (lowest calibrated p(true)).
  5. "Unidentified" threshold for the app: see THRESHOLD_RULE below.
  6. Writes OUT/model-card.json and OUT/MODEL_CARD.md (the same numbers as Markdown tables).
     If OUT/reference-map.json exists (scripts/model/build_reference_map.py), its OOD check is summarised.

Exit status: 0 ok, 2 on a missing data folder / CLI binary / model or another fatal error."""
import argparse
import concurrent.futures
import csv
import datetime
import gzip
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bcmodel  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]
SPLIT_CSV = REPO / "models" / "split.csv"
EXAMPLES_JSON = REPO / "web" / "examples" / "examples.json"
CACHE_DIR = REPO / "build" / "eval-cache"
SUBSET_SEED = 12345
ECE_BINS = 15
T_RANGE = (0.3, 5.0)
TARGET_ACC = 0.90
THRESHOLD_RULE = (
    "On VAL, with the calibrated probabilities (softmax(logits / T), T as written into the model file), fit an "
    "isotonic (monotone increasing) regression of 'prediction is correct' on the max probability. The threshold is "
    "the smallest val max-probability at which this estimated accuracy reaches 90%, rounded down to 3 decimals. "
    "A prediction whose max probability is below the threshold is shown as 'unidentified': at such confidences "
    "fewer than 90% of val predictions are correct. If the estimate never reaches 90% the threshold is 1.0 "
    "(everything unidentified).")
CITATION = ('A. Acevedo, A. Merino, S. Alférez, Á. Molina, L. Boldú, J. Rodellar, "A dataset of microscopic '
            'peripheral blood cell images for development of automatic recognition systems", Data in Brief 30 '
            '(2020) 105474, doi:10.1016/j.dib.2020.105474. Mendeley Data, doi:10.17632/snkd93bnjr.1. '
            'Licence: CC BY 4.0.')
INTENDED_USE = ("Research and education only: demonstrating in-browser classification of single peripheral blood "
                "cell images of the kind found in the PBC dataset (CellaVision DM96, May-Grünwald Giemsa stain, one "
                "cell centred per image). It is NOT a medical or diagnostic device and must not be used for "
                "diagnosis, screening or treatment decisions.")
CAVEATS = [
    "The splits are image-level: the dataset carries no patient or slide ids, so near-duplicate cells from one "
    "donor may sit on both sides of a split and the test figures may be optimistic for new patients.",
    "All images come from one laboratory, one scanner (CellaVision DM96) and one staining protocol; accuracy on "
    "other microscopes, stains, magnifications or smartphone photos is not measured.",
    "Only the 8 classes of normal peripheral blood cells (plus immature granulocytes) are known to the model; "
    "blasts, abnormal lymphocytes, smudge cells, artefacts and other cell types are forced into one of the 8 "
    "classes (the unidentified threshold and the reference-map OOD score only partly catch this).",
    "About 25% of the published images are held back by the data provider and were not used here; the published "
    "PBC dataset has 17,092 images, this share 12,755.",
]


def fail(msg, code=2):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


def resolve(p):
    p = Path(p)
    return p if p.is_absolute() else (REPO / p)


def rel(p):
    try:
        return str(Path(p).resolve().relative_to(REPO))
    except ValueError:
        return str(p)


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def sha256_file(p):
    with open(p, "rb") as f:
        return sha256_bytes(f.read())


# ---------------------------------------------------------------------------------------------
# inputs: split, data folder, CLI, model
# ---------------------------------------------------------------------------------------------
def read_split():
    """[(file, class, split)] from models/split.csv, file = 'class/name.jpg'."""
    if not SPLIT_CSV.is_file():
        fail(f"{rel(SPLIT_CSV)} not found")
    with open(SPLIT_CSV, newline="") as f:
        rows = [(r["file"], r["class"], r["split"]) for r in csv.DictReader(f)]
    bad = [r for r in rows if r[1] not in CLASSES or r[2] not in ("train", "val", "test")]
    if bad:
        fail(f"{rel(SPLIT_CSV)}: unexpected class or split in {bad[0]}")
    return rows


def select(rows, split, limit_per_class=None, seed=SUBSET_SEED):
    """Files of one split, grouped by class in class order; with a limit, a fixed-seed random subset per class."""
    out = []
    for ci, c in enumerate(CLASSES):
        files = sorted(r[0] for r in rows if r[2] == split and r[1] == c)
        if limit_per_class is not None and len(files) > limit_per_class:
            rng = np.random.RandomState(seed + ci)
            files = sorted(files[i] for i in rng.permutation(len(files))[:limit_per_class])
        out += [(f, ci) for f in files]
    return out


def check_data(data_dir, items):
    if not data_dir.is_dir():
        fail(f"data folder {data_dir} not found (give --data DIR; the PBC share is expected at ../shared/data/pbc "
             "relative to the repository root)")
    missing = [f for f, _ in items if not (data_dir / f).is_file()]
    if missing:
        fail(f"{len(missing)} file(s) listed in {rel(SPLIT_CSV)} are missing from {data_dir}, e.g. {missing[0]}")


def check_cli(cli):
    if not cli.is_file() or not os.access(cli, os.X_OK):
        fail(f"CLI binary {rel(cli)} not found or not executable (build it with `make native`)")


def check_model(model):
    if not model.is_file():
        fail(f"model file {rel(model)} not found")
    data = model.read_bytes()
    try:
        g = bcmodel.Graph.from_bytes(data)
    except Exception as e:  # noqa: BLE001
        fail(f"model file {rel(model)} is not a valid model: {e}")
    if g.classes != CLASSES:
        fail(f"model classes {g.classes} differ from the expected {CLASSES}")
    return data, g


def model_facts(cli, model, data, g):
    """Facts from the model file itself and from `bloodcell info`."""
    toff = bcmodel.temperature_offset(data)
    (mode,) = np.frombuffer(data[toff - 28:toff - 24], "<u4")
    facts = {"file": rel(model), "name": g.name, "bytes": len(data), "sha256": sha256_bytes(data),
             "classes": g.classes, "temperature_in_file": round(float(g.temperature), 6),
             "preprocessing": {
                 "input_size": g.input_size,
                 "resize_mode": int(mode),
                 "resize": ("centre square crop (side min(W,H), offset ((W-side)//2, (H-side)//2)), then antialiased "
                            "bilinear resize to S x S (PIL BILINEAR)") if int(mode) == 0 else f"mode {int(mode)}",
                 "colour": "decoded to RGB; alpha composited over white; EXIF orientation not applied",
                 "mean_rgb": [round(float(v), 6) for v in g.mean],
                 "std_rgb": [round(float(v), 6) for v in g.std],
                 "normalisation": "x = (pixel / 255 - mean[c]) / std[c], then quantized to the int8 input scale"}}
    try:
        out = subprocess.run([str(cli), "info", "--model", str(model)], capture_output=True, text=True, timeout=60)
        info = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
        facts["ops"] = int(info["ops"]) if "ops" in info else "not measured"
        facts["macs"] = int(info["MACs"]) if "MACs" in info else "not measured"
        facts["embedding_dim"] = int(info["embedding"]) if "embedding" in info else "not measured"
        facts["cam"] = info.get("cam", "not measured")
        facts["engine_kernels"] = info.get("kernels", "not measured")
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        print(f"warning: `bloodcell info` failed: {e}", file=sys.stderr)
    facts["int8_weight_params"] = int(sum(op["w"].size for op in g.ops if "w" in op))
    # Distinct weight values per layer (at most 255 for int8; 31 for conv weights exported on the
    # 5-bit grid): what decides how small the file gzips for the web page.
    facts["weight_levels"] = sorted({int(np.unique(op["w"]).size) for op in g.ops if "w" in op})
    facts["gzip_bytes"] = len(gzip.compress(Path(model).read_bytes(), 9))
    return facts


# ---------------------------------------------------------------------------------------------
# running the engine (with a cache of raw logits and embeddings)
# ---------------------------------------------------------------------------------------------
def cache_key(model_bytes, cli):
    """Model bytes with the temperature and CRC fields blanked (logits and embeddings do not depend on T),
    plus the CLI binary."""
    b = bytearray(model_bytes)
    t = bcmodel.temperature_offset(b)
    b[t:t + 4] = b"\0\0\0\0"
    b[12:16] = b"\0\0\0\0"
    h = hashlib.sha256(bytes(b))
    h.update(Path(cli).read_bytes())
    return h.hexdigest()[:20]


def _run_chunk(cli, model, paths, backend="own"):
    t0 = time.perf_counter()
    p = subprocess.run([str(cli), "classify", "--json", "--embedding", "--backend", backend, "--model", str(model),
                        "--", *paths], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{cli} exited with {p.returncode}: {p.stderr.strip()[:500]}")
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if len(recs) != len(paths):
        raise RuntimeError(f"{cli} printed {len(recs)} results for {len(paths)} files: {p.stderr.strip()[:500]}")
    return recs, dt


def run_engine(cli, model, model_bytes, paths, jobs=1, chunk=256, use_cache=True, verbose=True, backend="own"):
    """{abs path: {"logits": [...], "embedding": [...]} or {"error": msg}} for every path, plus timing facts
    for the images actually run now.  The cache is shared by both backends: their outputs are bit-identical
    (the own kernels implement XNNPACK's qc8 fp32 arithmetic)."""
    paths = [str(p) for p in paths]
    key = cache_key(model_bytes, cli)
    cache_file = CACHE_DIR / f"{key}.jsonl"
    results = {}
    if use_cache and cache_file.is_file():
        with open(cache_file) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # a truncated last line of an interrupted run
                results[r["file"]] = r
    todo = [p for p in dict.fromkeys(paths) if p not in results]
    timing = {"images_run": 0, "process_seconds": 0.0, "wall_seconds": 0.0, "cpu_seconds": 0.0, "jobs": jobs,
              "backend": backend}
    if todo:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        chunks = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
        t0 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = 0
        with open(cache_file, "a") as cf, concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            for recs, dt in ex.map(lambda c: _run_chunk(cli, model, c, backend), chunks):
                for r in recs:
                    r = {k: r[k] for k in ("file", "logits", "embedding", "error") if k in r}
                    results[r["file"]] = r
                    cf.write(json.dumps(r) + "\n")
                cf.flush()
                done += len(recs)
                timing["process_seconds"] += dt
                if verbose:
                    el = time.perf_counter() - t0
                    print(f"  engine: {done}/{len(todo)} images, {el:.0f} s", file=sys.stderr)
        timing["wall_seconds"] = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        timing["cpu_seconds"] = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        timing["images_run"] = len(todo)
    timing["images_from_cache"] = len(set(paths)) - len(todo)
    return {p: results[p] for p in paths}, timing


# ---------------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------------
def softmax(logits, T=1.0):
    z = logits / T
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def nll(logits, y, T=1.0):
    z = logits / T
    m = z.max(1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(1, keepdims=True)))[:, 0]
    return float(np.mean(lse - z[np.arange(len(y)), y])) if len(y) else float("nan")


def ece(probs, y, bins=ECE_BINS):
    """Expected calibration error of the max probability, equal-width bins over (0, 1]; also the table."""
    conf, pred = probs.max(1), probs.argmax(1)
    correct = (pred == y).astype(float)
    idx = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total, table = 0.0, []
    for b in range(bins):
        m = idx == b
        if m.any():
            gap = abs(correct[m].mean() - conf[m].mean())
            total += m.sum() / len(y) * gap
            table.append({"bin": [round(b / bins, 4), round((b + 1) / bins, 4)], "n": int(m.sum()),
                          "mean_confidence": round(float(conf[m].mean()), 4), "accuracy": round(float(correct[m].mean()), 4)})
    return float(total), table


def classification_metrics(y, pred):
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    labels = list(range(len(CLASSES)))
    p, r, f, sup = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    return {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()) if len(y) else 0.0,
        "macro_f1": float(np.mean(f)),
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(sup[i])}
                      for i, c in enumerate(CLASSES)},
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
        "confusion_matrix_axes": "rows = true class, columns = predicted class, order = classes",
    }


def fit_temperature(logits, y):
    lo, hi = T_RANGE
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), 241))
    losses = [nll(logits, y, t) for t in grid]
    i = int(np.argmin(losses))
    fine = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)], 201)
    j = int(np.argmin([nll(logits, y, t) for t in fine]))
    T = float(np.round(fine[j], 4))
    return T, (i == 0 or i == len(grid) - 1)


def choose_threshold(conf, correct, target=TARGET_ACC):
    from sklearn.isotonic import IsotonicRegression
    iso = IsotonicRegression(increasing=True, out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(conf, correct.astype(float))
    xs = np.unique(conf)
    est = iso.predict(xs)
    ok = np.nonzero(est >= target)[0]
    if len(ok) == 0:
        return 1.0
    return float(np.floor(xs[ok[0]] * 1000) / 1000)


def coverage_at(conf, correct, t):
    keep = conf >= t
    n = len(conf)
    return {"threshold": round(float(t), 4), "n": int(n), "accepted": int(keep.sum()),
            "coverage": round(float(keep.mean()), 4) if n else 0.0,
            "accuracy_accepted": round(float(correct[keep].mean()), 4) if keep.any() else "not measured (none accepted)",
            "accuracy_unidentified": round(float(correct[~keep].mean()), 4) if (~keep).any() else "not measured (none rejected)",
            "accuracy_all": round(float(correct.mean()), 4) if n else 0.0}


# ---------------------------------------------------------------------------------------------
# training outputs
# ---------------------------------------------------------------------------------------------
def float_metrics(train_dir, g):
    mp = train_dir / "metrics.json"
    if not mp.is_file():
        return None, None
    try:
        m = json.loads(mp.read_text())
    except ValueError as e:
        print(f"warning: {mp} is not valid JSON: {e}", file=sys.stderr)
        return None, None
    keep = ("n", "accuracy", "macro_f1", "per_class", "confusion_matrix", "confusion_matrix_axes")
    cfg = m.get("config", {})
    out = {"source": rel(mp), "model": m.get("model", "not recorded"),
           "val": {k: m["val"][k] for k in keep if k in m.get("val", {})},
           "test": {k: m["test"][k] for k in keep if k in m.get("test", {})}}
    same = (cfg.get("size") == g.input_size and cfg.get("mean") is not None and
            np.allclose(cfg["mean"], g.mean, atol=1e-5) and np.allclose(cfg["std"], g.std, atol=1e-5))
    out["matches_model_file_preprocessing"] = bool(same)
    if not same:
        print(f"warning: {mp} has size/mean/std that differ from the model file: the float metrics may belong to "
              "another run", file=sys.stderr)
    train = {"source": rel(mp)}
    for k in ("total_time_s", "train_time_s"):
        if k in m:
            train[k] = round(float(m[k]), 1)
    for k in ("epochs", "batch_size", "lr", "wd", "label_smoothing", "ema_decay", "balance", "seed", "macs", "params",
              "limit_per_class", "smoke", "arch", "preproc"):
        if k in cfg:
            train[k] = cfg[k]
    return out, train


def training_log(train_dir):
    lp = train_dir / "log.txt"
    if not lp.is_file():
        return None
    lines = lp.read_text(errors="replace").splitlines()
    info = {"source": rel(lp)}
    for line in lines:
        if line.startswith("# train.py"):
            info["command"] = line[2:].strip()
        m = re.search(r"total time (\d+:\d\d:\d\d)", line)
        if m:
            info["total_time"] = m.group(1)
        m = re.search(r"threads (\d+)", line)
        if m and "threads" not in info:
            info["threads"] = int(m.group(1))
        m = re.match(r"\s*(machine|host|cpu|device)\s*[:=]?\s+(.*)$", line, re.I)
        if m and "machine" not in info:
            info["machine"] = m.group(2).strip()
        m = re.search(r"epoch\s+(\d+)/(\d+)", line)
        if m:
            info["epochs_logged"] = f"{m.group(1)}/{m.group(2)}"
    info.setdefault("total_time", "not measured (no 'total time' line in log.txt: the run may be unfinished)")
    info.setdefault("machine", "not recorded in log.txt")
    return info


def this_machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}"


def agreement_with_float(train_dir, files, pred):
    p = train_dir / "test_predictions.csv"
    if not p.is_file():
        return "not measured (no test_predictions.csv)"
    with open(p, newline="") as f:
        fp = {r["file"]: r["pred"] for r in csv.DictReader(f)}
    both = [(fp[fl], CLASSES[pr]) for fl, pr in zip(files, pred) if fl in fp]
    if not both:
        return "not measured (no common files)"
    return {"n": len(both), "same_prediction": round(float(np.mean([a == b for a, b in both])), 4),
            "source": rel(p)}


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def evaluate_split(items, res, data_dir):
    files, y, logits, errors = [], [], [], []
    for f, ci in items:
        r = res[str(data_dir / f)]
        if "error" in r:
            errors.append({"file": f, "error": r["error"]})
            continue
        files.append(f)
        y.append(ci)
        logits.append(r["logits"])
    return files, np.array(y, int), np.array(logits, np.float64).reshape(-1, len(CLASSES)), errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/bloodcell.bin")
    ap.add_argument("--data", default="../shared/data/pbc")
    ap.add_argument("--limit-per-class", type=int, default=None, help="at most N images per class and split")
    ap.add_argument("--out", default="models")
    ap.add_argument("--cli", default="build/native/bloodcell")
    ap.add_argument("--train-dir", default="build/train/main")
    ap.add_argument("--jobs", type=int, default=1, help="parallel CLI processes (the CLI is single-threaded)")
    ap.add_argument("--backend", choices=("own", "xnnpack"), default="own",
                    help="engine kernels: own (default; the code the wasm build runs) or xnnpack (faster; bit-identical "
                         "results)")
    ap.add_argument("--write-model", default=None, help="write the calibrated model here instead of rewriting --model")
    ap.add_argument("--no-write-model", action="store_true", help="do not write the temperature anywhere")
    ap.add_argument("--no-cache", action="store_true")
    args = ap.parse_args()

    model, data_dir, out, cli = resolve(args.model), resolve(args.data).resolve(), resolve(args.out), resolve(args.cli)
    train_dir = resolve(args.train_dir)
    check_cli(cli)
    model_bytes, g = check_model(model)
    rows = read_split()
    if not data_dir.is_dir():
        check_data(data_dir, [])
    split_sizes = {s: {c: sum(1 for r in rows if r[2] == s and r[1] == c) for c in CLASSES} for s in ("train", "val", "test")}
    for s in split_sizes:
        split_sizes[s]["total"] = sum(split_sizes[s].values())
    items = {s: select(rows, s, args.limit_per_class) for s in ("val", "test")}
    check_data(data_dir, items["val"] + items["test"])

    print(f"model {rel(model)} ({g.name}, {g.input_size} px), data {data_dir}, val {len(items['val'])}, "
          f"test {len(items['test'])} images", file=sys.stderr)
    all_paths = [data_dir / f for s in ("val", "test") for f, _ in items[s]]
    examples = []
    if EXAMPLES_JSON.is_file():
        examples = [e for e in json.loads(EXAMPLES_JSON.read_text()) if (EXAMPLES_JSON.parent / e["file"]).is_file()]
        all_paths += [EXAMPLES_JSON.parent / e["file"] for e in examples]
    res, timing = run_engine(cli, model, model_bytes, all_paths, jobs=args.jobs, use_cache=not args.no_cache,
                             backend=args.backend)

    S = {}
    for s in ("val", "test"):
        files, y, logits, errors = evaluate_split(items[s], res, data_dir)
        if len(y) == 0:
            fail(f"no {s} image could be classified (first error: {errors[0] if errors else 'none'})")
        S[s] = dict(files=files, y=y, logits=logits, errors=errors)
        if errors:
            print(f"warning: {len(errors)} {s} image(s) failed, e.g. {errors[0]}", file=sys.stderr)

    # ---- metrics from the raw logits
    for s in S:
        S[s]["pred"] = S[s]["logits"].argmax(1)
        S[s]["metrics"] = classification_metrics(S[s]["y"], S[s]["pred"])
        print(f"{s}: accuracy {S[s]['metrics']['accuracy']:.4f}  macro-F1 {S[s]['metrics']['macro_f1']:.4f}  "
              f"(n={len(S[s]['y'])})", file=sys.stderr)

    # ---- temperature
    T, at_edge = fit_temperature(S["val"]["logits"], S["val"]["y"])
    if at_edge:
        print(f"warning: the NLL minimum is at the edge of the search range {T_RANGE}: T = {T}", file=sys.stderr)
    calib = {"method": "temperature scaling, T minimises the val NLL of softmax(logits / T); log-spaced grid over "
                       f"{T_RANGE[0]}..{T_RANGE[1]} then a finer grid around the best",
             "fitted_on": "val", "temperature": T, "at_search_edge": bool(at_edge), "ece_bins": ECE_BINS,
             "ece_definition": "sum over 15 equal-width bins of the max probability of (n_bin / n) * |accuracy - mean "
                               "max probability|"}
    for s in ("val", "test"):
        e1, _ = ece(softmax(S[s]["logits"], 1.0), S[s]["y"])
        eT, tab = ece(softmax(S[s]["logits"], T), S[s]["y"])
        calib[s] = {"nll_T1": round(nll(S[s]["logits"], S[s]["y"], 1.0), 4),
                    "nll_T": round(nll(S[s]["logits"], S[s]["y"], T), 4),
                    "ece_T1": round(e1, 4), "ece_T": round(eT, 4)}
        if s == "test":
            calib["test_reliability_T"] = tab
    print(f"temperature T = {T}: test ECE {calib['test']['ece_T1']:.4f} -> {calib['test']['ece_T']:.4f}, "
          f"test NLL {calib['test']['nll_T1']:.4f} -> {calib['test']['nll_T']:.4f}", file=sys.stderr)

    # ---- write T into the model file
    if args.no_write_model:
        target = None
    elif args.write_model:
        target = resolve(args.write_model)
    elif args.limit_per_class is not None:
        target = None
        print("note: --limit-per-class given: the model file is not rewritten (use --write-model FILE)", file=sys.stderr)
    else:
        target = model
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        new_bytes = bcmodel.set_temperature(str(model), T, str(target))
        check = [str(data_dir / f) for f in S["test"]["files"][:3]]
        p = subprocess.run([str(cli), "classify", "--json", "--model", str(target), "--", *check],
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            r = json.loads(line)
            want = softmax(np.array([r["logits"]], np.float64), T)[0]
            got = np.array([r["probs"][c] for c in CLASSES])
            if np.abs(want - got).max() > 2e-5:
                fail(f"the engine's probabilities with the rewritten model do not match softmax(logits / {T})")
        calib["written_to"] = rel(target)
        print(f"wrote temperature {T} into {rel(target)} (checked against the engine)", file=sys.stderr)
        model_bytes_final, final_path = new_bytes, target
    else:
        calib["written_to"] = "not written"
        model_bytes_final, final_path = model_bytes, model

    # ---- calibrated probabilities, top losses, threshold
    for s in S:
        S[s]["probs"] = softmax(S[s]["logits"], T)
        S[s]["conf"] = S[s]["probs"].max(1)
        S[s]["correct"] = (S[s]["pred"] == S[s]["y"])
    te = S["test"]
    p_true = te["probs"][np.arange(len(te["y"])), te["y"]]
    order = np.argsort(p_true, kind="stable")[:20]
    top_losses = [{"file": te["files"][i], "true": CLASSES[te["y"][i]], "predicted": CLASSES[te["pred"][i]],
                   "p_true": round(float(p_true[i]), 4), "p_pred": round(float(te["conf"][i]), 4),
                   "loss": round(float(-np.log(max(p_true[i], 1e-12))), 4)} for i in order]

    thr = choose_threshold(S["val"]["conf"], S["val"]["correct"])
    threshold = {"value": thr, "rule": THRESHOLD_RULE, "target_accuracy": TARGET_ACC,
                 "applies_to": "max of softmax(logits / T) with the temperature in the model file",
                 "val": coverage_at(S["val"]["conf"], S["val"]["correct"], thr),
                 "test": coverage_at(S["test"]["conf"], S["test"]["correct"], thr),
                 "test_table": [coverage_at(S["test"]["conf"], S["test"]["correct"], t)
                                for t in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)]}
    print(f"unidentified threshold {thr}: test coverage {threshold['test']['coverage']}, accuracy of accepted "
          f"{threshold['test']['accuracy_accepted']}", file=sys.stderr)

    # ---- the page's example images (all from the test split)
    ex_out = []
    for e in examples:
        r = res[str(EXAMPLES_JSON.parent / e["file"])]
        if "error" in r:
            ex_out.append({"file": e["file"], "class": e["class"], "error": r["error"]})
            continue
        pr = softmax(np.array([r["logits"]], np.float64), T)[0]
        ex_out.append({"file": e["file"], "class": e["class"], "predicted": CLASSES[int(pr.argmax())],
                       "confidence": round(float(pr.max()), 4), "correct": CLASSES[int(pr.argmax())] == e["class"],
                       "unidentified": bool(pr.max() < thr)})
    bad_ex = [x["file"] for x in ex_out if not x.get("correct") or x.get("unidentified")]
    if bad_ex:
        print(f"note: example image(s) misclassified or below the unidentified threshold: {', '.join(bad_ex)}",
              file=sys.stderr)

    # ---- training facts and float metrics
    fm, train_cfg = float_metrics(train_dir, g)
    tlog = training_log(train_dir)
    n_img = timing["images_run"]
    timing_out = {
        "what": "time of `bloodcell classify --json --embedding` per image (file read, JPEG decode, preprocessing, "
                "int8 inference; single-threaded): wall = CLI process seconds / images, cpu = CPU seconds / images",
        "per_image_ms": round(1000 * timing["process_seconds"] / n_img, 2) if n_img else
        "not measured (all results came from the cache)",
        "cpu_per_image_ms": round(1000 * timing["cpu_seconds"] / n_img, 2) if n_img else
        "not measured (all results came from the cache)",
        "backend": timing["backend"],
        "images_timed": n_img, "parallel_processes": timing["jobs"],
        "machine": this_machine(),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "note": "the machine may have been busy with other work (e.g. training), which inflates the time"}

    card = {
        "schema": "bloodcell-model-card-1",
        "date": datetime.date.today().isoformat(),
        "generated_by": "scripts/model/evaluate.py " + " ".join(sys.argv[1:]),
        "model": {**model_facts(cli, final_path, model_bytes_final, bcmodel.Graph.from_bytes(model_bytes_final)),
                  "evaluated_file": rel(model)},
        "intended_use": INTENDED_USE,
        "caveats": CAVEATS,
        "data": {"name": "PBC dataset (normal peripheral blood cells), training share", "citation": CITATION,
                 "licence": "CC BY 4.0", "folder": str(data_dir), "split_file": rel(SPLIT_CSV),
                 "split": "fixed stratified 70/10/20 image-level split (models/TRAINING.md)",
                 "split_sizes": split_sizes,
                 "evaluated": {s: len(S[s]["y"]) for s in S},
                 "limit_per_class": args.limit_per_class if args.limit_per_class is not None else "none (full splits)",
                 "subset": args.limit_per_class is not None,
                 "errors": {s: S[s]["errors"] for s in S}},
        "int8_engine": {"engine": f"native CLI {rel(cli)} (the C int8 engine; the wasm build runs the same code)",
                        "val": S["val"]["metrics"], "test": S["test"]["metrics"],
                        "agreement_with_float_on_test": agreement_with_float(train_dir, S["test"]["files"],
                                                                             S["test"]["pred"]),
                        "timing": timing_out},
        "float_model": fm if fm else "not measured (no build/train/main/metrics.json)",
        "calibration": calib,
        "unidentified_threshold": threshold,
        "top_losses_test": top_losses,
        "web_examples": ex_out if ex_out else "not measured (no web/examples/examples.json)",
        "training": {**(train_cfg or {}), **({"log": tlog} if tlog else {"log": "not measured (no log.txt)"})},
        "evaluation_machine": this_machine(),
    }
    ref = out / "reference-map.json"
    if ref.is_file():
        try:
            rm = json.loads(ref.read_text())
            card["reference_map"] = {"file": rel(ref), "points": len(rm.get("points", [])),
                                     "knn": rm.get("knn"), "ood": rm.get("ood")}
        except ValueError:
            pass

    out.mkdir(parents=True, exist_ok=True)
    (out / "model-card.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    (out / "MODEL_CARD.md").write_text(render_markdown(card))
    print(f"wrote {rel(out / 'model-card.json')} and {rel(out / 'MODEL_CARD.md')}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------
def pct(v):
    return f"{100 * v:.2f}%" if isinstance(v, (int, float)) else str(v)


def num(v, d=4):
    return f"{v:.{d}f}" if isinstance(v, float) else str(v)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def confusion_md(cm):
    short = ["BA", "EO", "ERB", "IG", "LY", "MO", "NE", "PLT"]
    return table(["true \\ pred"] + short, [[f"{CLASSES[i]}"] + [str(v) for v in row] for i, row in enumerate(cm)])


def render_markdown(c):
    m, e, cal, thr = c["model"], c["int8_engine"], c["calibration"], c["unidentified_threshold"]
    fm = c["float_model"] if isinstance(c["float_model"], dict) else None
    pre = m["preprocessing"]
    L = [f"# Model card: {m['name']}\n",
         f"Generated {c['date']} by `{c['generated_by']}`. All numbers below are measured with the int8 C engine "
         "(native CLI) unless marked float. Machine-readable copy: `model-card.json`.\n"]
    if c["data"]["subset"]:
        L.append(f"> **Subset run**: at most {c['data']['limit_per_class']} images per class and split were "
                 "evaluated; these numbers are NOT the model's full-split metrics.\n")
    L += ["## Intended use\n", c["intended_use"] + "\n",
          "## Summary\n",
          table(["split", "images", "int8 accuracy", "int8 macro-F1", "float accuracy", "float macro-F1"],
                [[s, e[s]["n"], pct(e[s]["accuracy"]), pct(e[s]["macro_f1"]),
                  f"{pct(fm[s]['accuracy'])} (n={fm[s].get('n', '?')})" if fm and "accuracy" in fm.get(s, {})
                  else "not measured",
                  pct(fm[s]["macro_f1"]) if fm and "macro_f1" in fm.get(s, {}) else "not measured"]
                 for s in ("val", "test")])]
    ag = e["agreement_with_float_on_test"]
    L.append("Int8 vs float, same test prediction: " +
             (f"{pct(ag['same_prediction'])} of {ag['n']} images.\n" if isinstance(ag, dict) else ag + ".\n"))
    if fm and not fm.get("matches_model_file_preprocessing", True):
        L.append("> Warning: the float metrics file has preprocessing (size/mean/std) different from the model file; "
                 "it may belong to another training run.\n")

    L += ["## Per-class metrics (test, int8)\n",
          table(["class", "precision", "recall", "F1", "support"] + (["float recall"] if fm else []),
                [[k, num(v["precision"], 3), num(v["recall"], 3), num(v["f1"], 3), v["support"]] +
                 ([num(fm["test"]["per_class"][k]["recall"], 3)] if fm and "per_class" in fm.get("test", {}) else [])
                 for k, v in e["test"]["per_class"].items()]),
          "## Confusion matrix (test, int8; rows true, columns predicted)\n",
          confusion_md(e["test"]["confusion_matrix"]),
          "## Per-class metrics (val, int8)\n",
          table(["class", "precision", "recall", "F1", "support"],
                [[k, num(v["precision"], 3), num(v["recall"], 3), num(v["f1"], 3), v["support"]]
                 for k, v in e["val"]["per_class"].items()]),
          "## Confusion matrix (val, int8; rows true, columns predicted)\n",
          confusion_md(e["val"]["confusion_matrix"])]

    L += ["## Calibration\n",
          f"{cal['method']}. Fitted temperature **T = {cal['temperature']}**, written to: {cal['written_to']}. "
          f"The engine's probabilities are softmax(logits / T).\n",
          table(["split", "NLL (T=1)", f"NLL (T={cal['temperature']})", "ECE (T=1)", f"ECE (T={cal['temperature']})"],
                [[s, num(cal[s]["nll_T1"]), num(cal[s]["nll_T"]), num(cal[s]["ece_T1"]), num(cal[s]["ece_T"])]
                 for s in ("val", "test")]),
          f"ECE: {cal['ece_definition']}.\n",
          "Reliability on test after calibration:\n",
          table(["max-prob bin", "images", "mean confidence", "accuracy"],
                [[f"{b['bin'][0]:.3f}-{b['bin'][1]:.3f}", b["n"], num(b["mean_confidence"], 3), num(b["accuracy"], 3)]
                 for b in cal["test_reliability_T"]])]

    L += ["## Unidentified threshold (app default)\n",
          f"**{thr['value']}** on the calibrated max probability. Rule: {thr['rule']}\n",
          table(["split", "threshold", "coverage (accepted)", "accuracy of accepted", "accuracy of unidentified",
                 "accuracy of all"],
                [[s, thr[s]["threshold"], pct(thr[s]["coverage"]), pct(thr[s]["accuracy_accepted"]),
                  pct(thr[s]["accuracy_unidentified"]), pct(thr[s]["accuracy_all"])] for s in ("val", "test")]),
          "Other thresholds on test:\n",
          table(["threshold", "coverage", "accuracy of accepted"],
                [[r["threshold"], pct(r["coverage"]), pct(r["accuracy_accepted"])] for r in thr["test_table"]])]

    L += ["## Top 20 losses (test, calibrated probabilities)\n",
          table(["file", "true", "predicted", "p(true)", "p(predicted)"],
                [[f"`{r['file']}`", r["true"], r["predicted"], num(r["p_true"], 4), num(r["p_pred"], 4)]
                 for r in c["top_losses_test"]])]

    if isinstance(c.get("web_examples"), list):
        L += ["## Example images of the page (web/examples, test split)\n",
              table(["file", "true", "predicted", "confidence", "status"],
                    [[x["file"], x["class"], x.get("predicted", "error"), num(x.get("confidence", "-"), 3),
                      "error: " + x["error"] if "error" in x else ("wrong" if not x["correct"] else
                                                                    ("unidentified" if x["unidentified"] else "ok"))]
                     for x in c["web_examples"]])]

    if "reference_map" in c and isinstance(c["reference_map"].get("ood"), dict):
        rm, ood = c["reference_map"], c["reference_map"]["ood"]
        L += ["## Reference map and out-of-distribution score\n",
              f"`{rm['file']}`: {rm['points']} training-split cells on a 2-D t-SNE map. Placement and OOD rule: "
              f"{(rm.get('knn') or {}).get('rule', 'see reference-map.json')}\n",
              f"OOD threshold **{ood.get('threshold')}** ({ood.get('threshold_rule', '')}). "
              "Details in REFERENCE_MAP.md.\n"]
        if isinstance(ood.get("rates"), dict):
            r = ood["rates"]
            L.append(table(["set", "images", "flagged as not-a-PBC-cell"],
                           [["PBC val cells (false positives)", r.get("pbc_val_n"), pct(r.get("fpr"))],
                            ["generated non-cell images (true positives)", r.get("noncell_n"), pct(r.get("tpr"))]]))

    tr = c["training"]
    tlog = tr.get("log") if isinstance(tr.get("log"), dict) else None
    L += ["## Model and preprocessing\n",
          table(["field", "value"], [
              ["file", f"`{m['file']}` ({m['bytes']} bytes, sha256 `{m['sha256'][:16]}...`)"],
              ["evaluated file", f"`{m['evaluated_file']}` (same logits; only the temperature differs)"
               if m["evaluated_file"] != m["file"] else f"`{m['evaluated_file']}`"],
              ["input", f"{pre['input_size']} x {pre['input_size']} x 3, int8"],
              ["resize", pre["resize"]],
              ["colour", pre["colour"]],
              ["mean (R, G, B)", ", ".join(f"{v:.6f}" for v in pre["mean_rgb"])],
              ["std (R, G, B)", ", ".join(f"{v:.6f}" for v in pre["std_rgb"])],
              ["normalisation", pre["normalisation"]],
              ["temperature in file", m["temperature_in_file"]],
              ["ops / MACs", f"{m.get('ops', 'not measured')} / {m.get('macs', 'not measured')}"],
              ["int8 weights", m["int8_weight_params"]],
              ["distinct weight values per layer", ", ".join(map(str, m.get("weight_levels", [])))],
              ["file size gzip -9 (bytes)", m.get("gzip_bytes", "not measured")],
              ["embedding dim", m.get("embedding_dim", "not measured")],
              ["classes (index order)", ", ".join(m["classes"])]]),
          "## Engine speed\n",
          table(["field", "value"], [
              ["wall time per image (CLI, decode + preprocess + int8 inference)",
               f"{e['timing']['per_image_ms']} ms" if isinstance(e['timing']['per_image_ms'], float)
               else e['timing']['per_image_ms']],
              ["CPU time per image", f"{e['timing']['cpu_per_image_ms']} ms"
               if isinstance(e['timing']['cpu_per_image_ms'], float) else e['timing']['cpu_per_image_ms']],
              ["kernels", f"{e['timing']['backend']} (single thread)"],
              ["images timed", e["timing"]["images_timed"]],
              ["machine", e["timing"]["machine"]],
              ["load average at end", " ".join(str(v) for v in e["timing"]["load_average_at_end"])],
              ["note", e["timing"]["note"]]]),
          "## Training\n",
          table(["field", "value"], [
              ["total time", tlog["total_time"] if tlog else "not measured"],
              ["machine", tlog["machine"] if tlog else "not measured"],
              ["threads", tlog.get("threads", "not recorded") if tlog else "not measured"],
              ["epochs", tr.get("epochs", f"{tlog['epochs_logged']} logged (run unfinished?)"
                                if tlog and "epochs_logged" in tlog else "not measured")],
              ["command", f"`{tlog['command']}`" if tlog and "command" in tlog else "not recorded"],
              ["recipe", "models/TRAINING.md"]]),
          "## Data\n",
          c["data"]["citation"] + "\n",
          "Split sizes (image-level, `models/split.csv`):\n",
          table(["class", "train", "val", "test"],
                [[k, c["data"]["split_sizes"]["train"][k], c["data"]["split_sizes"]["val"][k],
                  c["data"]["split_sizes"]["test"][k]] for k in CLASSES + ["total"]]),
          f"Evaluated here: val {c['data']['evaluated']['val']}, test {c['data']['evaluated']['test']} images "
          f"(limit per class: {c['data']['limit_per_class']}).\n",
          "## Caveats\n",
          "".join(f"- {x}\n" for x in c["caveats"])]
    return "\n".join(L)


if __name__ == "__main__":
    main()
