"""The training side of scale-aware framing (run with /usr/bin/python3 after `make build/native/test_frame
build/native/libbcpreprocess.so`): scripts/model/pbc_data.py's C path gives the same bytes and frame results as
the native C code (build/native/test_frame --json, which the wasm test also compares with), builds a resize-mode-1
cache from it, leaves mode 0 (load_cell_image, PIL) as it was, and PIL-rescaled PBC images get crops that scale
by the same factor. Ends with 'N passed, M failed'."""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "model"))
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pbc_data  # noqa: E402

TEST_FRAME = ROOT / "build" / "native" / "test_frame"
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "images").glob("*.jpg"))
results = []


def check(ok, what):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + what, flush=True)


def fnv1a(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def test_python_equals_native():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([str(TEST_FRAME), "--synth", d], check=True)
        derived = sorted(str(p) for p in (ROOT / "tests" / "fixtures" / "frame").iterdir() if p.suffix in (".jpg", ".png"))
        files = [str(f) for f in FIXTURES] + derived + sorted(str(p) for p in Path(d).iterdir())
        out = subprocess.run([str(TEST_FRAME), "--json", "64", *files], capture_output=True, text=True, check=True)
        native = [json.loads(line) for line in out.stdout.splitlines()]
        pre = pbc_data.CPreprocessor(64, mode=1)
        same = 0
        for f, n in zip(files, native):
            rgb, frame = pre(f)
            ok = n["status"] == 0 and fnv1a(rgb.tobytes()) == n["rgb_fnv1a"] \
                and [frame[k] for k in pbc_data.FRAME_FIELDS] == n["frame"][:len(pbc_data.FRAME_FIELDS)]
            same += ok
            if not ok:
                print(f"     differs: {f}: {frame} vs {n}")
        check(same == len(files), f"CPreprocessor(64, mode=1) equals the native C path on {same}/{len(files)} images "
                                  f"(frame result and every byte of the model input)")
        arr = np.asarray(Image.open(FIXTURES[0]).convert("RGB"))
        rgb_px, frame_px = pre(arr)
        rgb_file, frame_file = pre(str(FIXTURES[0]))
        check(frame_px["path"] == frame_file["path"] and abs(frame_px["crop_side"] - frame_file["crop_side"]) <= 12,
              f"decoded pixels (PIL's decoder) frame like the file (stb's): side {frame_px['crop_side']} vs "
              f"{frame_file['crop_side']}")
        try:
            pre(b"not an image")
            check(False, "a non-image raises")
        except ValueError as e:
            check("not an image" in str(e), f"a non-image raises ValueError with the engine's message ({e})")
        pre.close()


def test_mode0_unchanged():
    d = ROOT / "tests" / "fixtures" / "preprocess"
    rows = [line.split("\t") for line in (d / "manifest.tsv").read_text().splitlines()
            if line and not line.startswith("#")]
    exact = [(f, int(s)) for f, s, how, *_ in rows if how == "exact"]
    bad = [f for f, s in exact
           if not np.array_equal(pbc_data.load_cell_image(str(d / f), s),
                                 np.fromfile(d / f"{f}.s{s}.u8", np.uint8).reshape(s, s, 3))]
    check(not bad and len(exact) >= 10, f"mode 0 (load_cell_image, PIL) still equals its {len(exact)} committed "
                                        f"fixtures{': ' + ', '.join(bad) if bad else ''}")
    png = [(f, s) for f, s in exact if f.endswith(".pil.png")]
    pre = {s: pbc_data.CPreprocessor(s, mode=0) for _, s in png}
    same = sum(np.array_equal(pre[s](str(d / f))[0], pbc_data.load_cell_image(str(d / f), s)) for f, s in png)
    check(same == len(png) and png, f"the C path in mode 0 equals load_cell_image on the {len(png)} PNGs of PBC "
                                    f"pixels (JPEGs differ by the decoder only)")


def test_cache_mode1():
    with tempfile.TemporaryDirectory() as d:
        files = []
        for f in FIXTURES[:4]:
            cls = f.name.split("_", 1)[0]
            (Path(d) / cls).mkdir(exist_ok=True)
            shutil.copy(f, Path(d) / cls / f.name)
            files.append(f"{cls}/{f.name}")
        cache = Path(d) / "c.npz"
        images, labels = pbc_data.build_cache(d, files, 32, cache, processes=1, verbose=False, mode=1)
        pre = pbc_data.CPreprocessor(32, mode=1)
        same = all(np.array_equal(images[i], pre(str(Path(d) / f))[0]) for i, f in enumerate(files))
        with np.load(cache) as z:
            stored = str(z["preproc"]), z["frames"].shape, int(z["frames"][0][0])
        check(same and stored[0] == "pbc-preproc-frame-v1" and stored[1] == (4, len(pbc_data.FRAME_FIELDS)),
              f"build_cache(mode=1) stores the C path's images and frames ({stored})")
        again, _ = pbc_data.load_cache(d, files, 32, cache, verbose=False, mode=1)
        check(np.array_equal(again, images), "load_cache(mode=1) reads that cache back")
        old, _ = pbc_data.load_cache(d, files, 32, Path(d) / "c0.npz", processes=1, verbose=False)
        ref = np.stack([pbc_data.load_cell_image(str(Path(d) / f), 32) for f in files])
        check(np.array_equal(old, ref), "load_cache without a mode is still mode 0 (load_cell_image)")


def test_pil_rescaled():
    pre = pbc_data.CPreprocessor(64, mode=1)
    worst = 0.0
    n = 0
    # the fixtures of test_frame.c's rescale test; the erythroblast's red cells are elongated, and its estimate
    # has two modes (inscribed radii of 14 and 20 px at its factor) that trade places under rescaling
    for f in [f for f in FIXTURES if not f.name.startswith("erythroblast")]:
        im = Image.open(f).convert("RGB")
        base = pre(np.asarray(im))[1]
        if base["path"] != 1:
            continue
        for s in (0.5, 0.7, 1.6):
            sim = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS)
            fr = pre(np.asarray(sim))[1]
            err = abs(fr["crop_side"] / (base["crop_side"] * s) - 1) if fr["path"] == 1 else 1.0
            worst = max(worst, err)
            n += 1
    check(n >= 15 and worst <= 0.08, f"PIL LANCZOS rescales x0.5, x0.7, x1.6 of {n // 3} PBC fixtures: crop side "
                                     f"follows the factor within {worst:.1%} (bound 8%)")


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                check(False, f"{name}: {type(e).__name__}: {e}")
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)
