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


def test_set_temperature_both_versions():
    # The temperature sits after the sub-class table in version 2: rewriting it must leave every other
    # byte alone and the file loadable by the engine (a v2 file once got its sub-class names overwritten).
    for name in ("random-model.bin", "random-model-sub.bin"):
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
    test_set_temperature_both_versions()
    test_random_model_reproducible()
    test_bad_data_folder()
    test_smoke_train_export()
    passed = sum(results)
    print(f"python: {passed} passed, {len(results) - passed} failed")
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)
