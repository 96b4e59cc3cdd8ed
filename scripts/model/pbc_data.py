"""PBC data helpers: data-folder validation, the fixed split, the image cache and
the reference preprocessing (load_cell_image) that the C engine reimplements.

Run directly to (re)build the split and a cache:
    /usr/bin/python3 scripts/model/pbc_data.py [--data DIR] [--size S] [--resize-mode 0|1]

Resize mode 0 (the shipped model) is load_cell_image below, in PIL. Mode 1 (scale-aware framing,
docs/framing.md) has no Python twin: the cache comes from the engine's own C code through
build/native/libbcpreprocess.so (CPreprocessor; `make build/native/libbcpreprocess.so`).
"""
import argparse
import csv
import ctypes
import io
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ["basophil", "eosinophil", "erythroblast", "ig",
           "lymphocyte", "monocyte", "neutrophil", "platelet"]
CLASS_TO_IDX = {c: i for i, c in enumerate(CLASSES)}
# The second level the PBC file prefixes carry (issue 17): band / segmented within neutrophil, promyelocyte /
# myelocyte / metamyelocyte within ig.  Files with a bare class prefix (NEUTROPHIL_, IG_) have no sub-class.
# Sub-class index = position in SUBCLASS_LIST; the model's logits are the 8 classes, then these 5 in order.
SUBCLASSES = {"neutrophil": [("BNE", "band"), ("SNE", "segmented")],
              "ig": [("PMY", "promyelocyte"), ("MY", "myelocyte"), ("MMY", "metamyelocyte")]}
SUBCLASS_LIST = [(c, name) for c in CLASSES if c in SUBCLASSES for _, name in SUBCLASSES[c]]


def subclass_of(file):
    """'neutrophil/BNE_123.jpg' -> index in SUBCLASS_LIST, or -1 (no sub-class known)."""
    cls, name = file.split("/", 1)
    prefix = name.split("_", 1)[0].upper()
    for j, (c, sub) in enumerate(SUBCLASS_LIST):
        if c == cls and dict(SUBCLASSES[c]).get(prefix) == sub:
            return j
    return -1


def subclass_groups():
    """[(class index, [logit offsets after the 8 classes])] for each class that has sub-classes."""
    return [(CLASS_TO_IDX[c], [j for j, (cc, _) in enumerate(SUBCLASS_LIST) if cc == c]) for c in SUBCLASSES]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = "../shared/data/pbc"          # relative to the repo root
SPLIT_CSV = REPO_ROOT / "models" / "split.csv"
CACHE_DIR = REPO_ROOT / "build" / "cache"
SPLIT_SEED = 20261125
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)             # train, val, test
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
PREPROC_VERSION = "pbc-preproc-v1"            # bump if load_cell_image changes
PREPROC_VERSIONS = {0: PREPROC_VERSION, 1: "pbc-preproc-frame-v1"}   # per resize mode; bump with src/frame.c
PREPROC_LIB = REPO_ROOT / "build" / "native" / "libbcpreprocess.so"
# bc_frame_result (src/frame.h), 16 int32 in this order
FRAME_FIELDS = ("path", "rbc_diameter_x16", "rbc_count", "has_cell", "cell_x0", "cell_y0", "cell_x1", "cell_y1",
                "crop_x0", "crop_y0", "crop_side", "bg_r", "bg_g", "bg_b", "work_factor", "cells_found")
FRAME_PATHS = ("centre", "rbc", "cell")


class DataError(Exception):
    """A problem with the data folder / split / cache, reported as one line."""


def fail(msg, code=2):
    """Print a one-line error and exit (used by the command-line entry points)."""
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


# --------------------------------------------------------------------------
# Reference preprocessing (the contract the C/wasm engine must match exactly)
# --------------------------------------------------------------------------
def _to_rgb(img):
    """Convert any PIL image to RGB. Images with alpha are composited over white:
    out = (c * a + 255 * (255 - a) + 127) // 255, per channel, in integers."""
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"), dtype=np.uint32)
        a = rgba[..., 3:4]
        rgb = (rgba[..., :3] * a + 255 * (255 - a) + 127) // 255
        return Image.fromarray(rgb.astype(np.uint8), "RGB")
    return img.convert("RGB")


def load_cell_image(path_or_bytes, size):
    """Decode an image and return the network input as uint8 HxWx3 (H = W = size).

    1. decode; convert to RGB (alpha composited over white, see _to_rgb);
       EXIF orientation is NOT applied.
    2. centre square crop: m = min(W, H), x0 = (W - m) // 2, y0 = (H - m) // 2,
       box (x0, y0, x0 + m, y0 + m).
    3. img.resize((size, size), Image.BILINEAR)  (PIL antialiased bilinear,
       no reducing_gap).
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        src = io.BytesIO(bytes(path_or_bytes))
    else:
        src = path_or_bytes
    with Image.open(src) as im:
        im.load()
        img = _to_rgb(im)
    w, h = img.size
    m = min(w, h)
    x0 = (w - m) // 2
    y0 = (h - m) // 2
    img = img.crop((x0, y0, x0 + m, y0 + m))
    img = img.resize((size, size), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    assert arr.shape == (size, size, 3), arr.shape
    return arr


class CPreprocessor:
    """The engine's preprocessing (src/preprocess.c + src/frame.c) through ctypes: decode with stb_image,
    frame (resize mode 1) or centre-crop (mode 0), resize. Returns what the engine's model sees, bit for bit.

        pre = CPreprocessor(128, mode=1)
        rgb, frame = pre(path_or_bytes_or_array)   # uint8 SxSx3, dict of FRAME_FIELDS
    An HxWx3/HxWx4 uint8 array is taken as decoded RGB/RGBA pixels (no stb decode). One per process."""

    def __init__(self, size, mode=1, lib_path=PREPROC_LIB):
        if not Path(lib_path).exists():
            raise DataError(f"{lib_path} is missing: run `make build/native/libbcpreprocess.so`")
        lib = ctypes.CDLL(str(lib_path))
        lib.bc_lib_open.restype = ctypes.c_void_p
        lib.bc_lib_open.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.bc_lib_close.argtypes = [ctypes.c_void_p]
        lib.bc_lib_preprocess.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                                          ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.bc_lib_preprocess_pixels.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                 ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                                 ctypes.c_size_t]
        if lib.bc_lib_frame_abi() != 16:
            raise DataError(f"{lib_path}: bc_frame_result is not 16 ints; rebuild it")
        self.lib, self.size, self.mode = lib, int(size), int(mode)
        self.handle = lib.bc_lib_open(self.size, self.mode)
        if not self.handle:
            raise DataError(f"libbcpreprocess refused size {size} / resize mode {mode}")

    def __call__(self, src):
        rgb = np.empty((self.size, self.size, 3), np.uint8)
        frame = np.zeros(16, np.int32)
        msg = ctypes.create_string_buffer(256)
        if isinstance(src, np.ndarray):
            a = np.ascontiguousarray(src, np.uint8)
            ch = a.shape[2] if a.ndim == 3 else 1
            st = self.lib.bc_lib_preprocess_pixels(self.handle, a.ctypes.data, a.shape[1], a.shape[0], ch,
                                                   rgb.ctypes.data, frame.ctypes.data, msg, len(msg))
        else:
            data = bytes(src) if isinstance(src, (bytes, bytearray, memoryview)) else Path(src).read_bytes()
            st = self.lib.bc_lib_preprocess(self.handle, data, len(data), rgb.ctypes.data, frame.ctypes.data,
                                            msg, len(msg))
        if st != 0:
            raise ValueError(msg.value.decode("utf-8", "replace") or f"preprocessing failed (status {st})")
        return rgb, dict(zip(FRAME_FIELDS, (int(v) for v in frame[:len(FRAME_FIELDS)])))

    def close(self):
        if self.handle:
            self.lib.bc_lib_close(self.handle)
            self.handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001  (interpreter shutdown)
            pass


_c_preprocessors = {}


def load_cell_image_c(path_or_bytes, size, mode=1):
    """The network input as the engine computes it (see CPreprocessor): (uint8 SxSx3, frame dict)."""
    key = (os.getpid(), int(size), int(mode))
    if key not in _c_preprocessors:
        _c_preprocessors[key] = CPreprocessor(size, mode)
    return _c_preprocessors[key](path_or_bytes)


# --------------------------------------------------------------------------
# Data folder
# --------------------------------------------------------------------------
def resolve_data_dir(arg=None):
    """--data given: taken as is (relative to the current directory);
    not given: DEFAULT_DATA relative to the repo root."""
    if arg is None or arg == "":
        return (REPO_ROOT / DEFAULT_DATA).resolve()
    return Path(arg).expanduser().resolve()


def scan_data_dir(data_dir):
    """Check the folder layout; return {class: sorted list of image file names}."""
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise DataError(f"data folder {data_dir} does not exist (pass --data DIR)")
    if not data_dir.is_dir():
        raise DataError(f"data folder {data_dir} is not a directory")
    missing = [c for c in CLASSES if not (data_dir / c).is_dir()]
    if missing:
        raise DataError(f"data folder {data_dir} lacks class folder(s): {', '.join(missing)} "
                        f"(expected {', '.join(CLASSES)})")
    files = {}
    for c in CLASSES:
        names = sorted(p.name for p in (data_dir / c).iterdir()
                       if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
        if not names:
            raise DataError(f"class folder {data_dir / c} contains no images")
        files[c] = names
    return files


# --------------------------------------------------------------------------
# Split
# --------------------------------------------------------------------------
def make_split(files, seed=SPLIT_SEED, fractions=SPLIT_FRACTIONS):
    """Stratified split. One RandomState(seed) is used for all classes, visited in
    CLASSES order; per class the sorted file names are permuted with
    rng.permutation(n); the first n_test go to test, the next n_val to val, the
    rest to train, with n_test = round(0.2 n), n_val = round(0.1 n).
    Returns a list of (file 'class/name', class, split) sorted by class then name."""
    rng = np.random.RandomState(seed)
    rows = []
    for c in CLASSES:
        names = sorted(files[c])
        n = len(names)
        perm = rng.permutation(n)
        n_test = int(round(fractions[2] * n))
        n_val = int(round(fractions[1] * n))
        split_of = {}
        for rank, i in enumerate(perm):
            split_of[names[i]] = "test" if rank < n_test else ("val" if rank < n_test + n_val else "train")
        rows.extend((f"{c}/{name}", c, split_of[name]) for name in names)
    return rows


def write_split(rows, path=SPLIT_CSV):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "class", "split"])
        w.writerows(rows)


def read_split(path=SPLIT_CSV):
    path = Path(path)
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r, None)
        if header != ["file", "class", "split"]:
            raise DataError(f"{path}: bad header {header}, expected file,class,split")
        rows = []
        for lineno, row in enumerate(r, start=2):
            if len(row) != 3 or row[1] not in CLASS_TO_IDX or row[2] not in ("train", "val", "test") \
                    or not row[0].startswith(row[1] + "/"):
                raise DataError(f"{path}:{lineno}: malformed row {row}")
            rows.append(tuple(row))
    if not rows:
        raise DataError(f"{path} lists no files")
    return rows


def load_or_make_split(data_dir, path=SPLIT_CSV, verbose=True):
    """Read models/split.csv if it exists (checking every listed file exists in
    data_dir); otherwise build it from the data folder and write it."""
    data_dir = Path(data_dir)
    files = scan_data_dir(data_dir)
    path = Path(path)
    if path.exists():
        rows = read_split(path)
        missing = [r[0] for r in rows if not (data_dir / r[0]).is_file()]
        if missing:
            raise DataError(f"{len(missing)} file(s) listed in {path} are missing from {data_dir}, "
                            f"e.g. {missing[0]} (wrong --data folder, or delete the split to regenerate)")
        listed = {r[0] for r in rows}
        extra = sum(1 for c in CLASSES for n in files[c] if f"{c}/{n}" not in listed)
        if verbose:
            print(f"split: read {path} ({len(rows)} files)"
                  + (f"; {extra} image(s) in the data folder are not in the split and are ignored" if extra else ""))
    else:
        rows = make_split(files)
        write_split(rows, path)
        if verbose:
            print(f"split: wrote {path} ({len(rows)} files)")
    return rows


def split_counts(rows):
    counts = {c: {"train": 0, "val": 0, "test": 0} for c in CLASSES}
    for _, c, s in rows:
        counts[c][s] += 1
    return counts


# --------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------
def _cache_worker(args):
    path, size, mode = args
    if mode == 0:
        return load_cell_image(path, size), None
    rgb, frame = load_cell_image_c(path, size, mode)
    return rgb, [frame[k] for k in FRAME_FIELDS]


def build_cache(data_dir, files, size, cache_path, processes=2, verbose=True, mode=0):
    """Decode+crop+resize `files` ('class/name') into cache_path (.npz with
    images uint8 NxSxSx3, labels int64, files str, size, preproc; in resize mode 1 also
    frames int32 N x len(FRAME_FIELDS), how each image was framed)."""
    data_dir = Path(data_dir)
    cache_path = Path(cache_path)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    n = len(files)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    labels = np.array([CLASS_TO_IDX[f.split("/", 1)[0]] for f in files], dtype=np.int64)
    frames = np.zeros((n, len(FRAME_FIELDS)), dtype=np.int32)
    jobs = [(str(data_dir / f), size, mode) for f in files]
    t0 = time.time()
    step = max(1, n // 10)

    def consume(it):
        for i, (arr, frame) in enumerate(it):
            images[i] = arr
            if frame is not None:
                frames[i] = frame
            if verbose and ((i + 1) % step == 0 or i + 1 == n):
                el = time.time() - t0
                print(f"cache: {i + 1}/{n} images, {el:.0f}s elapsed, "
                      f"~{el / (i + 1) * (n - i - 1):.0f}s left", flush=True)

    try:
        if processes > 1 and n >= 64:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                consume(pool.imap(_cache_worker, jobs, chunksize=32))
        else:
            consume(map(_cache_worker, jobs))
    except (OSError, ValueError) as e:
        raise DataError(f"cannot decode an image while building the cache: {e}")
    tmp = cache_path.with_name(cache_path.name + ".tmp.npz")
    extra = {"frames": frames} if mode != 0 else {}
    np.savez(tmp, images=images, labels=labels, files=np.array(files),
             size=np.int64(size), preproc=np.array(PREPROC_VERSIONS[mode]), **extra)
    os.replace(tmp, cache_path)
    if verbose:
        print(f"cache: wrote {cache_path} ({images.nbytes / 2**20:.0f} MiB) in {time.time() - t0:.0f}s")
    return images, labels


def load_cache(data_dir, files, size, cache_path, processes=2, verbose=True, mode=0):
    """Return (images, labels) for `files` in that order, from cache_path if it
    holds exactly these files at this size and resize mode, else build it."""
    cache_path = Path(cache_path)
    if cache_path.exists():
        try:
            with np.load(cache_path, allow_pickle=False) as z:
                ok = (int(z["size"]) == size and str(z["preproc"]) == PREPROC_VERSIONS[mode]
                      and z["files"].shape[0] == len(files) and list(z["files"]) == list(files))
                if ok:
                    if verbose:
                        print(f"cache: using {cache_path}")
                    return z["images"], z["labels"]
        except Exception as e:  # corrupt / partial cache: rebuild
            if verbose:
                print(f"cache: ignoring unreadable {cache_path} ({e})")
        if verbose:
            print(f"cache: {cache_path} is stale, rebuilding")
    return build_cache(data_dir, files, size, cache_path, processes, verbose, mode)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help=f"data folder (default {DEFAULT_DATA} from the repo root)")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--resize-mode", type=int, choices=(0, 1), default=0,
                    help="0 centre crop (PIL reference), 1 scale-aware framing (the engine's C code)")
    args = ap.parse_args()
    try:
        data_dir = resolve_data_dir(args.data)
        rows = load_or_make_split(data_dir)
        for c, d in split_counts(rows).items():
            print(f"  {c:13s} train {d['train']:5d}  val {d['val']:4d}  test {d['test']:4d}")
        suffix = "" if args.resize_mode == 0 else f"_m{args.resize_mode}"
        load_cache(data_dir, [r[0] for r in rows], args.size, CACHE_DIR / f"pbc_S{args.size}{suffix}.npz",
                   mode=args.resize_mode)
    except DataError as e:
        fail(str(e))


if __name__ == "__main__":
    main()
