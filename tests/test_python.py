"""Python pipeline tests (run with /usr/bin/python3): model-file writer/reader round trip, the
committed random test model is reproducible, clear errors for a bad data folder, and a smoke run
that trains 1 epoch on a small subset, exports it to int8, and checks the engine reproduces the
exporter's simulation bit for bit on the same int8 inputs.  Ends with 'N passed, M failed'."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = "/usr/bin/python3"
sys.path.insert(0, str(ROOT / "scripts" / "model"))
import numpy as np  # noqa: E402

import bcmodel  # noqa: E402

results = []


def check(ok, what):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + what, flush=True)


def run(args, **kw):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, **kw)


def test_roundtrip():
    data = (ROOT / "tests/fixtures/random-model.bin").read_bytes()
    g = bcmodel.Graph.from_bytes(data)
    check(g.to_bytes() == data, "bcmodel: reading and re-writing the test model gives identical bytes")


def test_coded_weights():
    # Version 3 (rANS-coded weights): the committed fixture is the re-coding of the version 2 test model,
    # decoding gives the same weights, and re-coding the result either way is exact.
    v2 = (ROOT / "tests/fixtures/random-model-sub.bin").read_bytes()
    v3 = (ROOT / "tests/fixtures/random-model-sub-v3.bin").read_bytes()
    g2, g3 = bcmodel.Graph.from_bytes(v2), bcmodel.Graph.from_bytes(v3)
    check(v3[4] == 3 and bcmodel.Graph.from_bytes(v2).to_bytes(coded=True) == v3 and g3.to_bytes(coded=False) == v2 and
          all(np.array_equal(a["w"], b["w"]) for a, b in zip(g2.ops, g3.ops) if "w" in a),
          "bcmodel: version 3 re-codes the version 2 test model exactly and decodes to the same weights")
    # Edge cases of the coder: one symbol (no stream bits), every int8 value, a skewed array.
    rng = np.random.default_rng(3)
    arrays = [np.zeros(1000, np.int8), np.full(7, -128, np.int8), np.arange(-128, 128).astype(np.int8),
              rng.integers(-128, 128, 5000).astype(np.int8), (rng.geometric(0.6, 20000) - 1).clip(0, 127).astype(np.int8)]
    ok = True
    for a in arrays:
        block = bcmodel.rans_encode(a)
        b, used = bcmodel.rans_decode(block, 0, a.size)
        ok &= np.array_equal(a, b) and used == len(block) and len(block) % 4 == 0
    check(ok, "bcmodel: rANS round trip of a constant, full-range, uniform and skewed array")
    # Damaged blocks are refused, never decoded to something else silently.
    block = bytearray(bcmodel.rans_encode(arrays[4]))
    refused = silent = 0
    for pos in range(len(block) - 40, len(block) - 8):
        d = bytearray(block); d[pos] ^= 0x04
        try:
            b, _ = bcmodel.rans_decode(bytes(d), 0, arrays[4].size)
            silent += not np.array_equal(b, arrays[4])
        except ValueError:
            refused += 1
    check(refused >= 28, f"bcmodel: {refused} of 32 flipped stream bytes are refused by the decoder's end checks "
                         f"({silent} decoded to other weights)")


def test_set_temperature_both_versions():
    # The temperature sits after the sub-class table in version 2: rewriting it must leave every other
    # byte alone and the file loadable by the engine (a v2 file once got its sub-class names overwritten).
    for name in ("random-model.bin", "random-model-sub.bin", "random-model-sub-v3.bin"):
        src = ROOT / "tests/fixtures" / name
        data = src.read_bytes()
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / name
            new = bcmodel.set_temperature(str(src), 1.75, str(out))
            g0, g1 = bcmodel.Graph.from_bytes(data), bcmodel.Graph.from_bytes(new)
            t = bcmodel.temperature_offset(data)
            diff = [i for i in range(len(data)) if data[i] != new[i]]
            r = run([str(ROOT / "build/native/bloodcell"), "info", "--model", str(out)])
            check(abs(g1.temperature - 1.75) < 1e-6 and g1.subclasses == g0.subclasses and
                  all(i in (12, 13, 14, 15) or t <= i < t + 4 for i in diff) and r.returncode == 0,
                  f"set_temperature on {name} (version {g0.to_bytes()[4]}) changes only the temperature and the CRC; "
                  f"the engine loads it")


def test_random_model_reproducible():
    with tempfile.TemporaryDirectory() as d:
        r = run([PY, "scripts/fixtures/make_test_model.py", "--out", f"{d}/m.bin"])
        same = r.returncode == 0 and Path(f"{d}/m.bin").read_bytes() == (ROOT / "tests/fixtures/random-model.bin").read_bytes()
        check(same, "make_test_model.py regenerates the committed random test model exactly")


def test_bad_data_folder():
    with tempfile.TemporaryDirectory() as d:
        r = run([PY, "scripts/model/train.py", "--smoke", "--data", f"{d}/nowhere", "--out", f"{d}/out"])
        check(r.returncode == 2 and "error" in (r.stdout + r.stderr).lower() and "Traceback" not in r.stderr,
              f"train.py: missing data folder -> exit 2 with a message ({(r.stdout + r.stderr).strip()[:100]})")
        os.makedirs(f"{d}/empty/basophil")
        r = run([PY, "scripts/model/train.py", "--smoke", "--data", f"{d}/empty", "--out", f"{d}/out"])
        check(r.returncode == 2 and "Traceback" not in r.stderr,
              f"train.py: malformed data folder -> exit 2 with a message ({(r.stdout + r.stderr).strip()[:100]})")


def test_smoke_train_export():
    out = ROOT / "build/test-smoke"
    r = run([PY, "scripts/model/train.py", "--smoke", "--out", str(out)], timeout=300)
    check(r.returncode == 0 and (out / "model.pt").exists(), "train.py --smoke trains 1 epoch and saves a checkpoint")
    if r.returncode != 0:
        print(r.stdout[-2000:], r.stderr[-2000:])
        return
    model, parity = out / "smoke.bin", out / "smoke-parity.bin"
    r = run([PY, "scripts/model/export.py", "--ckpt", str(out / "model.pt"), "--out", str(model), "--parity", str(parity),
             "--calib", "32", "--eval", "--eval-limit", "16"], timeout=300)
    check(r.returncode == 0 and model.exists(), "export.py writes an int8 model from the smoke checkpoint")
    if r.returncode != 0:
        print(r.stdout[-2000:], r.stderr[-2000:])
        return
    g = bcmodel.Graph.from_bytes(model.read_bytes())
    check(len(g.classes) == 8 and g.input_size == 128, "exported model has 8 classes and the training input size")
    r = run([str(ROOT / "build/native/test_engine"), str(model), str(parity)], timeout=300)
    check(r.returncode == 0, "engine reproduces the exporter's int8 simulation on the smoke model (test_engine)")
    if r.returncode != 0:
        print(r.stdout[-3000:])


if __name__ == "__main__":
    test_roundtrip()
    test_coded_weights()
    test_set_temperature_both_versions()
    test_random_model_reproducible()
    test_bad_data_folder()
    test_smoke_train_export()
    passed = sum(results)
    print(f"python: {passed} passed, {len(results) - passed} failed")
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)
