"""engine_runs.py - the int8 engine (native CLI `bloodcell classify --json --embedding`) over lists of images,
and the inputs it needs, checked first: the split (models/split.csv), the data folder, the CLI binary and the
model file.  Raw logits and embeddings are cached in build/eval-cache/, keyed by the model bytes (temperature
excluded) and the CLI binary, so evaluate.py and build_reference_map.py share one run."""
import concurrent.futures
import csv
import gzip
import hashlib
import json
import os
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
CACHE_DIR = REPO / "build" / "eval-cache"
SUBSET_SEED = 12345


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
    mode = g.resize_mode
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
# What a cache line keeps of the CLI's JSON (the key changes with it): label and subclass for the
# sub-class metrics (the CLI prints the class logits only).
CACHED_KEYS = ("file", "logits", "embedding", "error", "label", "subclass")


def cache_key(model_bytes, cli):
    """Model bytes with the temperature and CRC fields blanked (logits and embeddings do not depend on T),
    plus the CLI binary."""
    b = bytearray(model_bytes)
    t = bcmodel.temperature_offset(b)
    b[t:t + 4] = b"\0\0\0\0"
    b[12:16] = b"\0\0\0\0"
    h = hashlib.sha256(bytes(b))
    h.update(Path(cli).read_bytes())
    h.update(repr(CACHED_KEYS).encode())
    return h.hexdigest()[:20]


def _run_chunk(cli, model, paths, backend="own", extra=()):
    t0 = time.perf_counter()
    p = subprocess.run([str(cli), "classify", "--json", "--embedding", "--backend", backend, *extra, "--model", str(model),
                        "--", *paths], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{cli} exited with {p.returncode}: {p.stderr.strip()[:500]}")
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if len(recs) != len(paths):
        raise RuntimeError(f"{cli} printed {len(recs)} results for {len(paths)} files: {p.stderr.strip()[:500]}")
    return recs, dt


def run_engine(cli, model, model_bytes, paths, jobs=1, chunk=256, use_cache=True, verbose=True, backend="own",
               extra=()):
    """{abs path: {"logits": [...], "embedding": [...]} or {"error": msg}} for every path, plus timing facts
    for the images actually run now.  The cache is shared by both backends: their outputs are bit-identical
    (the own kernels implement XNNPACK's qc8 fp32 arithmetic).  `extra`: more CLI options (e.g. --tta); pass
    use_cache=False with any, since the cache does not know them."""
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
            for recs, dt in ex.map(lambda c: _run_chunk(cli, model, c, backend, extra), chunks):
                for r in recs:
                    r = {k: r[k] for k in CACHED_KEYS if k in r}
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
